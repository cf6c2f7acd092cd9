import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attributePatchSchema, type Attributes } from '../../../src/core/attributes.js';
import { NS, findPacket, findProperty, simpleValue } from '../../../src/library/sidecar/rdf.js';
import { parseXml } from '../../../src/library/sidecar/xml.js';
import { OUTPOST_NS, buildXmp, parseXmp, type SidecarAttributes } from '../../../src/library/sidecar/xmp.js';

const EMPTY: Attributes = {
  event: null,
  location: null,
  rating: null,
  priority: false,
  tags: [],
  notes: null,
};

const FULL: Attributes = {
  event: '2024-05-RIVER-SURVEY',
  location: { lat: -3.3869254, lon: 36.6829927 },
  rating: 4,
  priority: true,
  tags: ['lion', 'dusk', 'camera trap 3'],
  notes: 'Two lions at the water hole.',
};

/** A Lightroom-style sidecar: attribute-form simple values, develop settings, a struct, a comment. */
const LIGHTROOM = `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 7.0-c000 1.000000, 0000/00/00-00:00:00">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <!-- written by Lightroom Classic -->
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:exif="http://ns.adobe.com/exif/1.0/"
    xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"
   xmp:Rating="2"
   xmp:Label="Red"
   xmp:CreateDate="2023-01-02T03:04:05"
   photoshop:Credit="Jane &amp; Co &#x263A;"
   crs:Exposure2012="+0.50"
   exif:GPSAltitude="1520/1">
   <dc:subject>
    <rdf:Bag>
     <rdf:li>old keyword</rdf:li>
    </rdf:Bag>
   </dc:subject>
   <dc:rights>
    <rdf:Alt>
     <rdf:li xml:lang="x-default">© Jane</rdf:li>
    </rdf:Alt>
   </dc:rights>
   <Iptc4xmpCore:CreatorContactInfo rdf:parseType="Resource">
    <Iptc4xmpCore:CiEmailWork>jane@example.org</Iptc4xmpCore:CiEmailWork>
   </Iptc4xmpCore:CreatorContactInfo>
   <crs:ToneCurvePV2012>
    <rdf:Seq>
     <rdf:li>0, 0</rdf:li>
     <rdf:li>255, 255</rdf:li>
    </rdf:Seq>
   </crs:ToneCurvePV2012>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`;

function packet(xml: string): NonNullable<ReturnType<typeof findPacket>> {
  const root = parseXml(xml);
  assert.ok(root, 'sidecar is not well-formed XML');
  const p = findPacket(root);
  assert.ok(p, 'no rdf:RDF in sidecar');
  return p;
}

function values(xml: string, uri: string, local: string): (string | undefined)[] {
  return findProperty(packet(xml), uri, local).map(simpleValue);
}

describe('buildXmp / parseXmp', () => {
  it('round-trips every attribute through a fresh sidecar', () => {
    const xml = buildXmp(FULL);
    assert.deepEqual(parseXmp(xml), FULL);
    assert.ok(attributePatchSchema.safeParse(parseXmp(xml)).success);
  });

  it('writes a standard packet: xpacket wrapper, x:xmpmeta, rdf:RDF, one rdf:Description', () => {
    const xml = buildXmp(FULL);
    assert.match(xml, /^<\?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"\?>\n<x:xmpmeta /);
    assert.match(xml, /<\?xpacket end="w"\?>\n$/);
    const p = packet(xml);
    assert.equal(p.descriptions.length, 1);
    assert.equal(p.descriptions[0]!.el.attrs.get('rdf:about'), '');
    assert.match(xml, /<xmp:Rating>4<\/xmp:Rating>/);
    assert.match(xml, /<Iptc4xmpExt:Event>\s*<rdf:Alt>\s*<rdf:li xml:lang="x-default">2024-05-RIVER-SURVEY</);
    assert.match(xml, /<exif:GPSLatitude>3,23.2155240000S<\/exif:GPSLatitude>/);
    assert.match(xml, /<exif:GPSLongitude>36,40.9795620000E<\/exif:GPSLongitude>/);
    assert.match(xml, /<dc:subject>\s*<rdf:Bag>\s*<rdf:li>lion<\/rdf:li>/);
    assert.match(xml, /<dc:description>\s*<rdf:Alt>\s*<rdf:li xml:lang="x-default">Two lions/);
    assert.match(xml, /<outpost:Priority>True<\/outpost:Priority>/);
    assert.match(xml, new RegExp(`xmlns:outpost="${OUTPOST_NS}"`));
  });

  it('escapes markup, quotes and keeps unicode in tags, event and notes', () => {
    const attrs: Attributes = {
      ...FULL,
      event: 'A&B <survey> "dry" \'25',
      tags: ['<script>alert(1)</script>', 'a & b', '"quoted"', "it's", 'ünïcødé', '象', '🦁 lion', ']]>'],
      notes: '  line one\nline two\r\n& <tags> "quotes" \'apos\' 😀 ]]> --> \t end  ',
    };
    const xml = buildXmp(attrs);
    assert.ok(!xml.includes('<script>'));
    assert.deepEqual(parseXmp(xml), attrs);
  });

  it('drops characters XML cannot hold instead of writing a broken file', () => {
    const xml = buildXmp({ ...FULL, notes: 'bell\u0007 nul\u0000 ok', tags: ['a\u0001b'] });
    const back = parseXmp(xml);
    assert.equal(back.notes, 'bell nul ok');
    assert.deepEqual(back.tags, ['ab']);
  });

  it('keeps every foreign property, namespace and comment of an existing sidecar', () => {
    const xml = buildXmp(FULL, LIGHTROOM);
    const PS = 'http://ns.adobe.com/photoshop/1.0/';
    const XMP = 'http://ns.adobe.com/xap/1.0/';
    assert.deepEqual(values(xml, PS, 'Credit'), ['Jane & Co ☺']);
    assert.deepEqual(values(xml, XMP, 'Label'), ['Red']);
    assert.deepEqual(values(xml, 'http://ns.adobe.com/camera-raw-settings/1.0/', 'Exposure2012'), ['+0.50']);
    assert.deepEqual(values(xml, 'http://ns.adobe.com/exif/1.0/', 'GPSAltitude'), ['1520/1']);
    assert.match(xml, /<!-- written by Lightroom Classic -->/);
    assert.match(xml, /<rdf:li xml:lang="x-default">© Jane<\/rdf:li>/);
    assert.match(xml, /<Iptc4xmpCore:CiEmailWork>jane@example.org<\/Iptc4xmpCore:CiEmailWork>/);
    assert.match(xml, /<rdf:li>0, 0<\/rdf:li>\s*<rdf:li>255, 255<\/rdf:li>/);
    assert.match(xml, /xmlns:crs="http:\/\/ns.adobe.com\/camera-raw-settings\/1.0\/"/);
    // Owned properties are replaced, not duplicated; fill-ins already present are not touched.
    assert.deepEqual(values(xml, XMP, 'Rating'), ['4']);
    assert.deepEqual(values(xml, XMP, 'CreateDate'), ['2023-01-02T03:04:05']);
    assert.ok(!xml.includes('old keyword'));
    assert.deepEqual(parseXmp(xml), FULL);
    assert.equal(packet(xml).root.attrs.get('x:xmptk'), 'Outpost');
  });

  it('reads a Lightroom sidecar without inventing the fields it does not state', () => {
    assert.deepEqual(parseXmp(LIGHTROOM), { rating: 2, tags: ['old keyword'] });
  });

  it('clears fields: nothing of a cleared attribute is left in the file', () => {
    const before = buildXmp(FULL, LIGHTROOM);
    const xml = buildXmp(EMPTY, before);
    for (const gone of [
      'Rating',
      'Iptc4xmpExt:Event',
      'GPSLatitude',
      'GPSLongitude',
      'dc:subject',
      'dc:description',
    ])
      assert.ok(!xml.includes(gone), `${gone} still in the sidecar`);
    assert.match(xml, /<outpost:Priority>False<\/outpost:Priority>/);
    assert.deepEqual(parseXmp(xml), EMPTY);
    assert.deepEqual(values(xml, 'http://ns.adobe.com/photoshop/1.0/', 'Credit'), ['Jane & Co ☺']);
  });

  it('is stable: rebuilding its own output changes nothing', () => {
    const once = buildXmp(FULL, LIGHTROOM);
    assert.equal(buildXmp(FULL, once), once);
    const fresh = buildXmp(FULL);
    assert.equal(buildXmp(FULL, fresh), fresh);
  });

  it('is stable with the facts it fills in, over a camera sidecar and with a corrected time', () => {
    // A camera's own sidecar (the rating as an attribute): the mirror rebuilds it from the
    // first drive's file, and a pass killed after the rewrite rebuilds it again over its own
    // output; both must give the same bytes (mirror-faults e2e).
    const camera = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="${NS.rdf}"><rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:aux="http://ns.adobe.com/exif/1.0/aux/" aux:Lens="50mm" xmp:Rating="3"/></rdf:RDF></x:xmpmeta>`;
    const facts = { capturedAt: '2024-05-01T08:20:30', originalName: 'IMG_0001.JPG' };
    const cases: SidecarAttributes[] = [
      { ...EMPTY, rating: 3, ...facts },
      { ...FULL, ...facts },
      { ...FULL, ...facts, rejected: true },
      { ...FULL, ...facts, correctedTime: true },
      { ...EMPTY, ...facts, correctedTime: true },
    ];
    for (const attrs of cases)
      for (const base of [undefined, camera, LIGHTROOM]) {
        const once = buildXmp(attrs, base);
        assert.equal(buildXmp(attrs, once), once, `${JSON.stringify(attrs)} over ${base?.slice(0, 40)}`);
      }
    // Built first without the corrected time, then with it: stable from then on too.
    const corrected = buildXmp(
      { ...FULL, ...facts, correctedTime: true },
      buildXmp({ ...FULL, ...facts }, camera),
    );
    assert.equal(buildXmp({ ...FULL, ...facts, correctedTime: true }, corrected), corrected);
  });

  it('matches properties by namespace, not prefix (xap: of old Adobe files)', () => {
    const old = `<x:xapmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="${NS.rdf}">
      <rdf:Description about="" xmlns:xap="http://ns.adobe.com/xap/1.0/" xap:Rating="1"/></rdf:RDF></x:xapmeta>`;
    assert.deepEqual(parseXmp(old), { rating: 1 });
    const xml = buildXmp({ ...EMPTY, rating: 5 }, old);
    assert.deepEqual(values(xml, 'http://ns.adobe.com/xap/1.0/', 'Rating'), ['5']);
    assert.match(xml, /<xap:Rating>5<\/xap:Rating>/);
  });

  it('does not rebind a prefix an existing file uses for another namespace', () => {
    const odd = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="${NS.rdf}">
      <rdf:Description rdf:about="" xmlns:dc="urn:not-dublin-core" dc:subject="keep me"/></rdf:RDF></x:xmpmeta>`;
    const xml = buildXmp({ ...EMPTY, tags: ['lion'] }, odd);
    assert.deepEqual(values(xml, 'urn:not-dublin-core', 'subject'), ['keep me']);
    assert.match(xml, /xmlns:dc2="http:\/\/purl.org\/dc\/elements\/1.1\/"/);
    assert.deepEqual(parseXmp(xml).tags, ['lion']);
  });

  it('removes owned properties from every rdf:Description and writes into the first', () => {
    const two = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="${NS.rdf}">
      <rdf:Description rdf:about="" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:City="Arusha"/>
      <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"><xmp:Rating>3</xmp:Rating></rdf:Description>
      </rdf:RDF></x:xmpmeta>`;
    assert.deepEqual(parseXmp(two), { rating: 3 });
    const xml = buildXmp({ ...EMPTY, rating: 1 }, two);
    const p = packet(xml);
    assert.equal(p.descriptions.length, 2);
    assert.deepEqual(values(xml, 'http://ns.adobe.com/xap/1.0/', 'Rating'), ['1']);
    assert.match(serializeFirst(xml), /xmp:Rating/);
    assert.deepEqual(values(xml, 'http://ns.adobe.com/photoshop/1.0/', 'City'), ['Arusha']);
  });

  it('reads the common variants of each field', () => {
    const v = `<rdf:RDF xmlns:rdf="${NS.rdf}"><rdf:Description rdf:about=""
        xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"
        xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
        dc:description="plain text notes" exif:GPSLatitude="1,30,0S" exif:GPSLongitude="2,15.5W">
      <xmp:Rating> 4.0 </xmp:Rating>
      <dc:subject><rdf:Seq><rdf:li> b </rdf:li><rdf:li>a</rdf:li><rdf:li>b</rdf:li><rdf:li>  </rdf:li></rdf:Seq></dc:subject>
      <Iptc4xmpExt:Event><rdf:Alt><rdf:li xml:lang="fr">Relevé</rdf:li><rdf:li xml:lang="x-default">Survey</rdf:li></rdf:Alt></Iptc4xmpExt:Event>
    </rdf:Description></rdf:RDF>`;
    const { location, ...rest } = parseXmp(v);
    assert.deepEqual(rest, { rating: 4, event: 'Survey', tags: ['b', 'a'], notes: 'plain text notes' });
    assert.equal(location?.lat, -1.5);
    assert.ok(Math.abs(location.lon - -(2 + 15.5 / 60)) < 1e-11, String(location.lon));
  });

  it('ignores values it cannot use', () => {
    const v = `<rdf:RDF xmlns:rdf="${NS.rdf}"><rdf:Description rdf:about=""
        xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:exif="http://ns.adobe.com/exif/1.0/"
        xmp:Rating="-1" exif:GPSLatitude="91,0.0N" exif:GPSLongitude="2,15.5W"/></rdf:RDF>`;
    // Rating -1 is a reject (Lightroom, darktable): that is all this packet holds that is usable.
    assert.deepEqual(parseXmp(v), { rejected: true });
    assert.deepEqual(parseXmp('not xml'), {});
    assert.deepEqual(parseXmp('<html><body>no rdf</body></html>'), {});
  });

  it('cuts what it reads to the attribute schema', () => {
    const tags = Array.from({ length: 150 }, (_, i) => `<rdf:li>tag ${i} ${'x'.repeat(80)}</rdf:li>`).join(
      '',
    );
    const v = `<rdf:RDF xmlns:rdf="${NS.rdf}"><rdf:Description rdf:about=""
        xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
        Iptc4xmpExt:Event="${'e'.repeat(200)}"><dc:subject><rdf:Bag>${tags}</rdf:Bag></dc:subject></rdf:Description></rdf:RDF>`;
    const back = parseXmp(v);
    assert.equal(back.tags?.length, 100);
    assert.ok(back.tags?.every((t) => t.length <= 64));
    assert.equal(back.event?.length, 120);
    assert.ok(attributePatchSchema.safeParse(back).success);
  });

  it('replaces text that is not an XMP packet, and wraps a bare rdf:RDF in x:xmpmeta', () => {
    assert.deepEqual(parseXmp(buildXmp(FULL, 'garbage <<<')), FULL);
    assert.deepEqual(parseXmp(buildXmp(FULL, '<html/>')), FULL);
    const bare = `<rdf:RDF xmlns:rdf="${NS.rdf}"><rdf:Description rdf:about="" xmlns:p="urn:p" p:keep="yes"/></rdf:RDF>`;
    const xml = buildXmp(FULL, bare);
    assert.equal(packet(xml).root.name, 'x:xmpmeta');
    assert.deepEqual(values(xml, 'urn:p', 'keep'), ['yes']);
  });

  it('names the toolkit with a declared prefix, whatever the root uses', () => {
    const odd = `<xmpmeta xmlns="adobe:ns:meta/"><rdf:RDF xmlns:rdf="${NS.rdf}"/></xmpmeta>`;
    const xml = buildXmp(FULL, odd);
    assert.match(xml, /<xmpmeta\s+xmlns="adobe:ns:meta\/"\s+xmlns:x="adobe:ns:meta\/"\s+x:xmptk="Outpost">/);
    assert.deepEqual(parseXmp(xml), FULL);
  });

  it('adds a description to an RDF that has none', () => {
    const xml = buildXmp(
      FULL,
      `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="${NS.rdf}"/></x:xmpmeta>`,
    );
    assert.equal(packet(xml).descriptions.length, 1);
    assert.deepEqual(parseXmp(xml), FULL);
  });

  it('fills in capture time and original file name once, as facts, never replacing them', () => {
    const xml = buildXmp({ ...FULL, capturedAt: '2024-05-01T08:20:30+03:00', originalName: 'IMG_0001.JPG' });
    assert.deepEqual(values(xml, 'http://ns.adobe.com/xap/1.0/', 'CreateDate'), [
      '2024-05-01T08:20:30+03:00',
    ]);
    assert.deepEqual(values(xml, 'http://ns.adobe.com/xap/1.0/mm/', 'PreservedFileName'), ['IMG_0001.JPG']);
    const again = buildXmp({ ...EMPTY, capturedAt: '1999-01-01T00:00:00', originalName: 'OTHER.JPG' }, xml);
    assert.deepEqual(values(again, 'http://ns.adobe.com/xap/1.0/', 'CreateDate'), [
      '2024-05-01T08:20:30+03:00',
    ]);
    assert.deepEqual(values(again, 'http://ns.adobe.com/xap/1.0/mm/', 'PreservedFileName'), ['IMG_0001.JPG']);
    const noDate = buildXmp({ ...EMPTY, capturedAt: 'yesterday' });
    assert.deepEqual(values(noDate, 'http://ns.adobe.com/xap/1.0/', 'CreateDate'), []);
  });

  it('keeps notes that are only whitespace', () => {
    assert.equal(parseXmp(buildXmp({ ...EMPTY, notes: ' \n ' })).notes, ' \n ');
  });

  it('writes rating 0 and omits a null rating', () => {
    assert.equal(parseXmp(buildXmp({ ...EMPTY, rating: 0 })).rating, 0);
    assert.ok(!buildXmp(EMPTY).includes('Rating'));
  });
});

function serializeFirst(xml: string): string {
  const d = packet(xml).descriptions[0]!.el;
  return JSON.stringify(d.children.map((c) => (c.kind === 'element' ? c.name : '')));
}
