import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAppleMobile, storageAtRisk } from '../../../web/src/offline/platform.js';
import { mediaUrls, type MediaLinks } from '../../../web/src/offline/levels.js';

const IPAD_SAFARI =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15';

test('an iPad tab (which reports itself as a Mac) is at risk; the home-screen app and other tablets are not', () => {
  const ipadTab = {
    userAgent: IPAD_SAFARI,
    platform: 'MacIntel',
    maxTouchPoints: 5,
    standalone: false,
    displayStandalone: false,
  };
  assert.ok(isAppleMobile(ipadTab));
  assert.ok(storageAtRisk(ipadTab));
  assert.ok(!storageAtRisk({ ...ipadTab, standalone: true }));
  assert.ok(!storageAtRisk({ ...ipadTab, standalone: undefined, displayStandalone: true }));
  assert.ok(!storageAtRisk({ ...ipadTab, maxTouchPoints: 0 }), 'a real Mac');
  assert.ok(
    storageAtRisk({
      userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)',
      displayStandalone: false,
    }),
  );
  assert.ok(
    !storageAtRisk({ userAgent: 'Mozilla/5.0 (Linux; Android 14; SM-X200)', displayStandalone: false }),
  );
});

test('what a take-away level downloads: thumbnails; previews (or a poster); originals of photos and short clips', () => {
  const links = (id: string, poster = false) => ({
    self: `/api/items/${id}`,
    original: `/api/items/${id}/original`,
    thumb: `/api/items/${id}/thumb`,
    preview: poster ? null : `/api/items/${id}/preview`,
    poster: poster ? `/api/items/${id}/poster` : null,
  });
  const photo = { type: 'photo', durationS: null, links: links('a') } as MediaLinks;
  const longVideo = { type: 'video', durationS: 600, links: links('b', true) } as MediaLinks;
  const shortVideo = { type: 'video', durationS: 12, links: links('c', true) } as MediaLinks;
  assert.deepEqual(mediaUrls(photo, 'thumbs'), ['/api/items/a/thumb']);
  assert.deepEqual(mediaUrls(photo, 'previews'), ['/api/items/a/thumb', '/api/items/a/preview']);
  assert.deepEqual(mediaUrls(longVideo, 'originals'), ['/api/items/b/thumb', '/api/items/b/poster']);
  assert.deepEqual(mediaUrls(shortVideo, 'originals'), [
    '/api/items/c/thumb',
    '/api/items/c/poster',
    '/api/items/c/original',
  ]);
});
