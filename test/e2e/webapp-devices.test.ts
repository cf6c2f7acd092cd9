/**
 * The status page's device controls in real Chromium, against a real server whose station part is
 * a stand-in (the real station and devices: test/e2e/devices.test.ts): Eject buttons for the card,
 * drive A (asks first) and drive B, a busy eject showing who holds the drive, and the Format form
 * for an empty device (erase warning, confirmation, file system choice).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { systemClock } from '../../src/adapters/clock.js';
import { addUser } from '../../src/auth/users.js';
import { OutpostError } from '../../src/core/errors.js';
import type { MediumView } from '../../src/devices/manager.js';
import { openCatalog, type Catalog } from '../../src/library/catalog/open.js';
import { initDrive, type Drive } from '../../src/library/drive.js';
import { buildApp } from '../../src/server/app.js';
import { startServer } from '../../src/server/server.js';
import { launchBrowser, type TestBrowser } from '../kit/browser.js';

describe('web app: eject and format (headless Chromium)', { timeout: 120_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'outpost-webdev-'));
  let catalog: Catalog;
  let a: Drive;
  let b: Drive | undefined;
  let app: FastifyInstance;
  let url = '';
  let br: TestBrowser & { errors: string[] };
  const calls: string[] = [];
  let busy = false;

  const media = (): MediumView[] => [
    {
      name: 'sdc',
      dev: '/dev/sdc',
      description: 'Generic STORAGE DEVICE',
      sizeBytes: 32e9,
      usb: true,
      volumes: [
        {
          dev: '/dev/sdc1',
          fsType: 'vfat',
          mountPoint: '/run/outpost/media/sdc1',
          role: 'card',
          state: 'mounted',
        },
      ],
      format: { ok: false, reason: '/dev/sdc1 holds files; a drive with files is never formatted' },
    },
    {
      name: 'sda',
      dev: '/dev/sda',
      sizeBytes: 1e12,
      usb: true,
      volumes: [
        { dev: '/dev/sda1', fsType: 'ext4', mountPoint: a.layout.root, role: 'library', state: 'mounted' },
      ],
      format: { ok: false, reason: 'holds files' },
    },
    ...(b
      ? [
          {
            name: 'sdd',
            dev: '/dev/sdd',
            sizeBytes: 2e12,
            usb: true,
            volumes: [
              {
                dev: '/dev/sdd',
                fsType: 'ext4',
                mountPoint: b.layout.root,
                role: 'library' as const,
                state: 'mounted' as const,
              },
            ],
            format: { ok: false as const, reason: 'holds files' },
          },
        ]
      : [
          {
            name: 'sdd',
            dev: '/dev/sdd',
            description: 'WD Elements',
            sizeBytes: 2e12,
            usb: true,
            volumes: [{ dev: '/dev/sdd' }],
            format: { ok: true as const },
          },
        ]),
  ];

  before(async () => {
    a = await initDrive(join(work, 'a'), { label: 'Field-A', now: new Date() });
    catalog = await openCatalog(a.layout.catalog);
    await addUser(catalog, { name: 'ed', role: 'editor', password: 'eject-test-password', now: new Date() });
    app = await buildApp({
      catalog,
      drive: a,
      files: { root: a.layout.root },
      node: 'station-1',
      clock: systemClock,
      drives: {
        current: () => ({ a, b }),
        blank: () => [],
        init: () => Promise.reject(new Error('not used')),
        devices: () => ({ media: media(), empty: [] }),
        eject: async (target) => {
          calls.push(`eject ${target}`);
          if (busy)
            throw new OutpostError(
              'DEVICE_BUSY',
              `drive ${target} is still in use (used by bash (pid 42)): not safe to remove`,
            );
          return {
            target,
            device: target === 'card' ? '/dev/sdc' : '/dev/sda',
            mountPoint: '/run/outpost/media/x',
            state: 'safe-to-remove',
            message:
              target === 'card'
                ? 'the card is unmounted; you can remove it'
                : `drive ${target} is unmounted; you can remove it`,
          };
        },
        format: async (device, fs, label) => {
          calls.push(`format ${device} ${fs} ${label}`);
          b = await initDrive(join(work, 'b'), { label, now: new Date() });
          return b;
        },
      },
    });
    ({ url } = await startServer(app, { host: '127.0.0.1', port: 0 }));
    br = await launchBrowser();
  });

  after(async () => {
    await br?.close();
    await app?.close();
    await catalog?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('ejects the card, refuses drive A while busy (saying who), formats an empty drive', async () => {
    const page = br.page;
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
    await page.goto(`${url}/status`);
    await page.waitForSelector('form.login');
    await page.fill('input[name=name]', 'ed');
    await page.fill('input[name=password]', 'eject-test-password');
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('nav.nav');
    await page.goto(`${url}/status`);

    await page.click('.eject[data-target=card] button');
    await page.waitForSelector('.eject[data-target=card] [role=status]:has-text("you can remove it")');
    assert.deepEqual(calls, ['eject card']);

    busy = true;
    await page.click('.eject[data-target=A] button');
    await page.waitForSelector('.eject[data-target=A] [role=status]:has-text("still in use")');
    assert.match(
      (await page.textContent('.eject[data-target=A] [role=status]')) ?? '',
      /used by bash \(pid 42\)\): not safe to remove.*close the program named/,
    );
    assert.match(dialogs[0] ?? '', /Eject drive A\? The web app stops/);
    assert.deepEqual(calls, ['eject card', 'eject A']);
    busy = false;

    const form = `.unformatted-device[data-device=sdd]`;
    await page.waitForSelector(form);
    assert.match((await page.textContent(form)) ?? '', /erases.*\/dev\/sdd/s);
    assert.equal(
      await page.$('.unformatted-device[data-device=sdc]'),
      null,
      'a drive with files is not offered',
    );
    await page.fill(`${form} input[name=format-label]`, 'Office B');
    await page.selectOption(`${form} select[name=format-fs]`, 'ext4');
    await page.click(`${form} button[type=submit]`);
    await page.waitForSelector('.drives:has-text("Drive B: Office B")');
    assert.match(
      dialogs[1] ?? '',
      /Format \/dev\/sdd \(WD Elements\), 2,000\.0 GB as ext4\? Everything on it is erased/,
    );
    assert.deepEqual(calls, ['eject card', 'eject A', 'format sdd ext4 Office B']);
    await page.waitForSelector('.eject[data-target=B] button');
    // Only the expected refusals (409) and routes this stand-in station lacks (404) may fail.
    assert.deepEqual(
      br.errors.filter((e) => !/status of (409|404)/.test(e)),
      [],
    );
  });
});
