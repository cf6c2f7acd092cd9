import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, it } from 'node:test';
import { json, outpost, spawnOutpost } from '../kit/cli.js';
import { originalMeta, prng, randomBytesSeeded, sendFacts, sha256, tusUpload } from '../kit/hq.js';

/**
 * The real `outpost hq` process under fire: more than 1,000 generated bad requests (seeded, so a
 * failure reproduces) against the tus endpoint and the JSON endpoints. Every one must get a 4xx
 * (never a 5xx, never a hang), the process must stay up, nothing may be written outside the data
 * directory, and a good upload must still work afterwards.
 */
const SEED = 20261121;
const MAX_UPLOAD = 10 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 8000;
/**
 * A refused oversized request: the server answered (413/431) and closed while we were still
 * sending, so the kernel reset the connection and dropped the answer before we could read it.
 */
const RESET = -2;

let work: string;
let dataDir: string;
let child: ChildProcess;
let port = 0;
let baseUrl = '';
const keys: Record<string, string> = {};
let stderr = '';

async function snapshot(dir: string, skip: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (p === skip) continue;
      const s = await stat(p);
      out.push(`${relative(dir, p)} ${e.isDirectory() ? 'dir' : s.size} ${s.mtimeMs}`);
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  return out.sort();
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'outpost-hq-hostile-'));
  dataDir = join(work, 'hq');
  for (const s of ['alpha', 'bravo']) {
    const r = await outpost(['hq', 'keys', 'add', s, '--data', dataDir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    keys[s] = json<{ key: string }>(r).key;
  }
  // An upload that expired long ago, as a crash might have left it (HQ sweeps it at start).
  const oldId = 'e'.repeat(32);
  await mkdir(join(dataDir, 'uploads'), { recursive: true });
  await writeFile(join(dataDir, 'uploads', oldId), 'abc');
  await writeFile(
    join(dataDir, 'uploads', `${oldId}.json`),
    JSON.stringify({
      id: oldId,
      size: 10,
      offset: 0,
      metadata: { station: 'alpha' },
      creation_date: '2020-01-01T00:00:00Z',
    }),
  );
  child = spawnOutpost([
    '--log-level',
    'warn',
    'hq',
    '--data',
    dataDir,
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--max-upload',
    String(MAX_UPLOAD),
  ]);
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`hq did not start: ${stderr}`)), 15_000);
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => reject(new Error(`hq exited ${code}: ${stderr}`)));
  });
  baseUrl = `http://127.0.0.1:${port}`;
});

after(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  await rm(work, { recursive: true, force: true });
});

interface RawResponse {
  status: number;
  text: string;
}

/** One request over a fresh socket, bytes exactly as given (no client-side validation). */
function raw(reqIn: Buffer | string): Promise<RawResponse> {
  const req = Buffer.isBuffer(reqIn) ? reqIn : Buffer.from(reqIn, 'latin1');
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ status: -1, text: 'TIMEOUT (hang)' });
    }, REQUEST_TIMEOUT_MS);
    const finish = (): void => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : reset ? RESET : 0, text: text.slice(0, 600) });
    };
    // Write in slices and stop once the server has answered: a server refusing a huge body
    // (413) closes the connection, and a client still writing would lose the answer to a reset.
    let answered = false;
    sock.on('data', (c: Buffer) => {
      answered = true;
      chunks.push(c);
    });
    let reset = false;
    sock.on('error', (e: NodeJS.ErrnoException) => (reset ||= e.code === 'ECONNRESET' || e.code === 'EPIPE'));
    sock.on('close', finish);
    const writeFrom = (at: number): void => {
      if (answered || sock.destroyed || at >= req.length) return;
      const end = Math.min(req.length, at + 64 * 1024);
      if (sock.write(req.subarray(at, end))) setImmediate(() => writeFrom(end));
      else sock.once('drain', () => writeFrom(end));
    };
    writeFrom(0);
  });
}

function request(
  method: string,
  path: string,
  headers: Record<string, string | undefined>,
  body: Buffer | string = '',
): Buffer {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1');
  const lines = [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close'];
  const hasLength = Object.keys(headers).some((k) => k.toLowerCase() === 'content-length');
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) lines.push(`${k}: ${v}`);
  if (!hasLength && (b.length > 0 || ['POST', 'PATCH', 'PUT'].includes(method)))
    lines.push(`Content-Length: ${b.length}`);
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), b]);
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const meta = (m: Record<string, string>): string =>
  Object.entries(m)
    .map(([k, v]) => `${k} ${b64(v)}`)
    .join(',');

/** Create an upload as `station`; returns its path. */
async function createUpload(
  station: string,
  size: number,
  item = sha256(`item-${size}-${Math.random()}`),
  hash = item,
): Promise<string> {
  // A thumbnail is taken only for an item the station described first (issue 10).
  await sendFacts(baseUrl, keys[station]!, [item]);
  const res = await fetch(`${baseUrl}/hq/v1/uploads/`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${keys[station]}`,
      'tus-resumable': '1.0.0',
      'upload-length': String(size),
      'upload-metadata': meta({ item, rendition: 'thumb', sha256: hash }),
    },
  });
  assert.equal(res.status, 201, await res.text());
  return res.headers.get('location')!;
}

interface Case {
  kind: string;
  send: () => Promise<RawResponse | RawResponse[]>;
  /** Statuses this case may get besides a 4xx (concurrent PATCHes: one may win). */
  alsoOk?: number[];
}

it('1,000+ hostile requests: every one a 4xx, no hang, HQ stays up, nothing written outside its data dir', async (t) => {
  const parentBefore = await snapshot(work, dataDir);
  const rnd = prng(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const A = keys.alpha!;
  const B = keys.bravo!;
  const authA = `Bearer ${A}`;
  const tusH = (extra: Record<string, string | undefined> = {}) => ({
    'Tus-Resumable': '1.0.0',
    Authorization: authA,
    ...extra,
  });
  const H = sha256('some item');
  await sendFacts(baseUrl, A, [H]);
  const goodMeta = meta({ item: H, rendition: 'thumb', sha256: H });

  // A few real uploads of alpha's to aim at.
  const targets: string[] = [];
  for (let i = 0; i < 8; i++) targets.push(await createUpload('alpha', 1000 + i));
  const target = (): string => pick(targets);

  const traversal = [
    '../../../../etc/passwd',
    '..%2f..%2f..%2fetc%2fpasswd',
    '%2e%2e/%2e%2e/outpost-drive.json',
    '%2e%2e%2f%2e%2e%2fx',
    '..\\..\\x',
    '/etc/passwd',
    '%2fetc%2fpasswd',
    '..',
    '.',
    '%00',
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa%00.json',
    '....//....//x',
    `${'e'.repeat(32)}`,
    `${'0'.repeat(31)}`,
    `${'A'.repeat(32)}`,
    '..%252f..%252fx',
    '%c0%ae%c0%ae/x',
  ];
  const badTusVersions = [undefined, '', '0.2.2', '1.0', '1.0.1', '2.0.0', 'x'.repeat(100)];
  const badLengths = [
    '-1',
    '-0',
    '1e3',
    '0x10',
    '1 0',
    '+10',
    'ten',
    '1.5',
    '99999999999999999999999',
    String(MAX_UPLOAD + 1),
    '9007199254740993',
    '',
  ];
  const badOffsets = ['-1', 'abc', '1.0', '', '99999999999', '1', '5', '0x0', '+0'];
  const badMetas = [
    'item',
    'item !!!!',
    'item YQ',
    'item YQ=,item YQ==',
    ' item YQ==',
    'it em YQ==',
    ',',
    'item YQ==,,rendition YQ==',
    `item ${b64('../../../etc')},rendition ${b64('thumb')},sha256 ${b64(H)}`,
    `item ${b64(H)},rendition ${b64('../original')},sha256 ${b64(H)}`,
    `item ${b64(H)},rendition ${b64('thumb')},sha256 ${b64('/etc/passwd')}`,
    `item ${b64(H)},rendition ${b64('thumb')},sha256 ${b64(H)},station ${b64('bravo')}`,
    `item ${b64(H)},rendition ${b64('thumb')},sha256 ${b64(H)},name ${b64('a\u0000b')}`,
    `ïtem ${b64(H)}`,
    `item ${b64(H + '\u0000')},rendition ${b64('thumb')},sha256 ${b64(H)}`,
  ];
  const generators: (() => Case)[] = [
    // Tus-Resumable missing or wrong.
    () => {
      const v = pick(badTusVersions);
      const m = pick(['POST', 'HEAD', 'PATCH', 'DELETE']);
      const path = m === 'POST' ? '/hq/v1/uploads/' : target();
      return {
        kind: 'tus-resumable',
        send: () =>
          raw(
            request(
              m,
              path,
              {
                'Tus-Resumable': v,
                Authorization: authA,
                'Upload-Length': '10',
                'Upload-Offset': '0',
                'Content-Type': 'application/offset+octet-stream',
              },
              m === 'PATCH' ? 'x' : '',
            ),
          ),
      };
    },
    // Upload-Length wrong, negative, huge, or over the maximum.
    () => {
      const v = pick(badLengths);
      return {
        kind: 'upload-length',
        send: () =>
          raw(request('POST', '/hq/v1/uploads/', tusH({ 'Upload-Length': v, 'Upload-Metadata': goodMeta }))),
      };
    },
    // Upload-Offset wrong on a real upload.
    () => {
      const v = pick(badOffsets);
      const body = randomBytesSeeded(int(1, 50), int(0, 1e6));
      return {
        kind: 'upload-offset',
        send: () =>
          raw(
            request(
              'PATCH',
              target(),
              tusH({ 'Upload-Offset': v, 'Content-Type': 'application/offset+octet-stream' }),
              body,
            ),
          ),
      };
    },
    // Content-Length wrong: negative, non-numeric, or running past Upload-Length.
    () => {
      const v = pick([
        '-1',
        'abc',
        '1e3',
        '99999999999',
        '2001',
        String(2 ** 53),
        '18446744073709551616',
        '1, 2',
      ]);
      return {
        kind: 'content-length',
        send: () =>
          raw(
            request(
              'PATCH',
              target(),
              tusH({
                'Upload-Offset': '0',
                'Content-Type': 'application/offset+octet-stream',
                'Content-Length': v,
              }),
              'xx',
            ),
          ),
      };
    },
    // A body longer than the upload.
    () => ({
      kind: 'oversized-body',
      alsoOk: [RESET],
      send: async () => {
        const url = await createUpload('alpha', 100);
        return raw(
          request(
            'PATCH',
            url,
            tusH({ 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' }),
            Buffer.alloc(int(101, 200_000)),
          ),
        );
      },
    }),
    // Wrong content type on PATCH.
    () => ({
      kind: 'content-type',
      send: () =>
        raw(
          request(
            'PATCH',
            target(),
            tusH({
              'Upload-Offset': '0',
              'Content-Type': pick([
                undefined,
                'application/json',
                'text/plain',
                'application/offset+octet-stream; x',
                '',
              ]),
            }),
            'abc',
          ),
        ),
    }),
    // Unknown, malformed or traversing upload ids, with any method.
    () => {
      const id = rnd() < 0.3 ? randomBytesSeeded(16, int(0, 1e9)).toString('hex') : pick(traversal);
      const m = pick(['HEAD', 'PATCH', 'DELETE', 'GET', 'PUT', 'POST']);
      return {
        kind: 'upload-id',
        send: () =>
          raw(
            request(
              m,
              `/hq/v1/uploads/${id}`,
              tusH({
                'Upload-Offset': '0',
                'Content-Type': 'application/offset+octet-stream',
                'Upload-Length': '3',
                'Upload-Metadata': goodMeta,
              }),
              m === 'PATCH' || m === 'PUT' ? 'abc' : '',
            ),
          ),
      };
    },
    // Traversal and junk in the URL itself (outside the id).
    () => {
      const p = pick([
        '/hq/v1/uploads/../../../../etc/passwd',
        '/hq/v1/../api/items',
        '/hq/v1/uploads/%2e%2e/%2e%2e/objects',
        '/hq/v1/%2e%2e/%2e%2e/outpost-drive.json',
        '//hq/v1/uploads/',
        '/hq/v1/uploads/x/../../have',
        '/hq/v1/ops?since=../../x',
        '/hq/v1/ops?since=-5',
        '/hq/v1/ops?limit=99999999',
        '/hq/v1/ops?since=1e400',
        '/hq/v1/nothing',
        '/hq/v2/uploads/',
        '/hq/v1/uploads/\u00ff',
        '/hq/v1/objects/../../etc',
      ]);
      return {
        kind: 'url',
        send: () =>
          raw(request(pick(['GET', 'POST', 'HEAD', 'DELETE', 'PATCH']), p, tusH({ 'Upload-Length': '1' }))),
      };
    },
    // NUL and control bytes in the request line or headers (the HTTP parser refuses them).
    () => ({
      kind: 'nul',
      send: () =>
        raw(
          pick([
            Buffer.from(
              `HEAD /hq/v1/uploads/aa\u0000bb HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTus-Resumable: 1.0.0\r\nAuthorization: ${authA}\r\n\r\n`,
              'latin1',
            ),
            Buffer.from(
              `POST /hq/v1/uploads/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTus-Resumable: 1.0.0\r\nAuthorization: ${authA}\r\nUpload-Length: 1\r\nUpload-Metadata: item ${b64(H)}\u0000\r\n\r\n`,
              'latin1',
            ),
            Buffer.from(`GET /hq/v1/ops\u0001 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 'latin1'),
          ]),
        ),
    }),
    // Malformed Upload-Metadata.
    () => {
      const v = pick(badMetas);
      return {
        kind: 'metadata',
        send: () =>
          raw(request('POST', '/hq/v1/uploads/', tusH({ 'Upload-Length': '3', 'Upload-Metadata': v }))),
      };
    },
    // Oversized headers.
    () => ({
      kind: 'header-size',
      alsoOk: [RESET],
      send: () =>
        raw(
          request(
            'POST',
            '/hq/v1/uploads/',
            tusH({
              'Upload-Length': '3',
              'Upload-Metadata': `item ${'QUFB'.repeat(int(5000, 40_000))}`,
              'X-Pad': 'p'.repeat(int(0, 20_000)),
            }),
          ),
        ),
    }),
    // No key, junk keys, a key of another station.
    () => {
      const auth = pick([
        undefined,
        '',
        'Bearer',
        `Bearer ${A}x`,
        `Basic ${A}`,
        `Bearer op1_alpha_${'A'.repeat(43)}`,
        `Bearer ${A.replace('alpha', 'bravo')}`,
        'Bearer ../../etc/passwd',
      ]);
      const [m, p] = pick([
        ['POST', '/hq/v1/uploads/'],
        ['HEAD', target()],
        ['PATCH', target()],
        ['DELETE', target()],
        ['POST', '/hq/v1/have'],
        ['POST', '/hq/v1/sync'],
        ['GET', '/hq/v1/ops'],
      ] as const);
      return {
        kind: 'no-key',
        send: () =>
          raw(
            request(
              m,
              p,
              {
                'Tus-Resumable': '1.0.0',
                Authorization: auth,
                'Upload-Length': '3',
                'Upload-Offset': '0',
                'Content-Type': m === 'PATCH' ? 'application/offset+octet-stream' : 'application/json',
              },
              m === 'PATCH' ? 'abc' : m === 'POST' && p !== '/hq/v1/uploads/' ? '{}' : '',
            ),
          ),
      };
    },
    // Another station's upload: it does not exist for bravo.
    () => {
      const m = pick(['HEAD', 'PATCH', 'DELETE']);
      return {
        kind: 'other-station',
        send: () =>
          raw(
            request(
              m,
              target(),
              {
                'Tus-Resumable': '1.0.0',
                Authorization: `Bearer ${B}`,
                'Upload-Offset': '0',
                'Content-Type': 'application/offset+octet-stream',
              },
              m === 'PATCH' ? 'abc' : '',
            ),
          ),
      };
    },
    // An expired upload (swept at start) and deferred lengths.
    () => ({
      kind: 'expired-or-deferred',
      send: () =>
        rnd() < 0.5
          ? raw(request(pick(['HEAD', 'DELETE']), `/hq/v1/uploads/${'e'.repeat(32)}`, tusH()))
          : raw(
              request(
                'POST',
                '/hq/v1/uploads/',
                tusH({ 'Upload-Defer-Length': '1', 'Upload-Metadata': goodMeta }),
              ),
            ),
    }),
    // Hostile JSON to /have and /sync.
    () => {
      const bodies: [string, string | undefined][] = [
        ['{', 'application/json'],
        ['[]', 'application/json'],
        ['{"objects":"x"}', 'application/json'],
        [`{"objects":[{"item":"../../etc","rendition":"original","sha256":"${H}"}]}`, 'application/json'],
        ['{"objects":[]}', 'text/plain'],
        ['{"objects":[]}', undefined],
        ['{"__proto__":{"x":1},"objects":[1]}', 'application/json'],
        [`{"items":[{"id":"${H}","path":"../../../etc/passwd"}]}`, 'application/json'],
        [
          `{"ops":[{"entity":"item","id":"${H}","field":"rating","value":1,"hlc":"000000001-0000-bravo","origin":"bravo"}]}`,
          'application/json',
        ],
        [
          `{"ops":[{"entity":"item","id":"${H}","field":"rating","value":1,"hlc":"garbage","origin":"alpha"}]}`,
          'application/json',
        ],
        ['{"items":[],"ops":[],"x":1}', 'application/json'],
        ['\u0000\u0001', 'application/json'],
        [
          JSON.stringify({ objects: Array(5001).fill({ item: H, rendition: 'thumb', sha256: H }) }),
          'application/json',
        ],
        [`{"objects":[${'['.repeat(5000)}${']'.repeat(5000)}]}`, 'application/json'],
        [`{"pad":"${'x'.repeat(9 * 1024 * 1024)}"}`, 'application/json'],
      ];
      const [body, ct] = pick(bodies);
      return {
        kind: 'json',
        alsoOk: body.length > 1024 * 1024 ? [RESET] : [],
        send: () =>
          raw(
            request(
              'POST',
              pick(['/hq/v1/have', '/hq/v1/sync']),
              { Authorization: authA, 'Content-Type': ct },
              body,
            ),
          ),
      };
    },
    // Concurrent PATCHes on one upload: at most one may win, none may crash.
    () => ({
      kind: 'concurrent-patch',
      alsoOk: [204],
      send: async () => {
        const bytes = randomBytesSeeded(4000, int(0, 1e9));
        const url = await createUpload('alpha', bytes.length, sha256(`item-${int(0, 1e9)}`), sha256(bytes));
        return Promise.all(
          Array.from({ length: 4 }, () =>
            raw(
              request(
                'PATCH',
                url,
                tusH({ 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' }),
                bytes,
              ),
            ),
          ),
        );
      },
    }),
  ];

  const cases: Case[] = [];
  while (cases.length < 1100) cases.push(pick(generators)());

  const failures: string[] = [];
  const byKind = new Map<string, Map<number, number>>();
  let sent = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const c = cases[next++]!;
      const got = await c.send();
      if (Array.isArray(got) && got.filter((r) => r.status === 204).length > 1)
        failures.push(`${c.kind}: two concurrent PATCHes at offset 0 both succeeded`);
      for (const r of Array.isArray(got) ? got : [got]) {
        sent++;
        const counts = byKind.get(c.kind) ?? new Map<number, number>();
        counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
        byKind.set(c.kind, counts);
        const ok = (r.status >= 400 && r.status < 500) || (c.alsoOk ?? []).includes(r.status);
        if (!ok) failures.push(`${c.kind}: ${r.status} ${r.text.slice(0, 300)}`);
      }
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: 16 }, worker));
  const summary = [...byKind]
    .map(([k, m]) => `${k}: ${[...m].map(([s, n]) => `${s}×${n}`).join(' ')}`)
    .join('\n');
  t.diagnostic(
    `${sent} requests in ${Date.now() - started} ms; statuses by kind: ${summary.replaceAll('\n', '; ')}`,
  );
  assert.deepEqual(failures.slice(0, 20), [], `statuses by kind:\n${summary}\nlog:\n${stderr.slice(-3000)}`);
  assert.ok(sent >= 1000, `sent ${sent}`);
  assert.ok(Date.now() - started < 45_000, 'the barrage took too long');

  // Still up, still answering.
  assert.equal(child.exitCode, null, `hq exited: ${stderr.slice(-2000)}`);
  const ops = await fetch(`${baseUrl}/hq/v1/ops`, { headers: { authorization: authA } });
  assert.equal(ops.status, 200);

  // Nothing outside the data directory changed; inside it, only HQ's own places.
  assert.deepEqual(await snapshot(work, dataDir), parentBefore);
  const top = (await readdir(dataDir)).sort();
  // `video`: HQ's video library (exports and edits made at HQ, src/hq/video.ts), made at start.
  assert.deepEqual(top, ['.outpost', 'library', 'objects', 'outpost-drive.json', 'uploads', 'video']);
  assert.deepEqual(
    (await readdir(join(dataDir, 'video', 'library')).catch(() => [])).length,
    0,
    'no request made a video',
  );
  for (const f of await readdir(join(dataDir, 'uploads')))
    assert.match(f, /^([0-9a-f]{64}-)?[0-9a-f]{32}(\.json)?$/);
  for (const f of await readdir(join(dataDir, 'objects'))) assert.match(f, /^([0-9a-f]{2}|\.tmp)$/);
  assert.deepEqual(await readdir(join(dataDir, 'library')), []);

  // A good upload still succeeds and verifies.
  const bytes = randomBytesSeeded(300_000, SEED);
  await tusUpload({ baseUrl, key: A, bytes, metadata: originalMeta(bytes), chunkSize: 100_000 }).done;
  const h = sha256(bytes);
  const have = await fetch(`${baseUrl}/hq/v1/have`, {
    method: 'POST',
    headers: { authorization: authA, 'content-type': 'application/json' },
    body: JSON.stringify({ objects: [{ item: h, rendition: 'original', sha256: h }] }),
  });
  assert.deepEqual(await have.json(), { have: [true] });
  assert.equal(sha256(await readFile(join(dataDir, 'objects', h.slice(0, 2), h))), h);

  // HQ's web app: no users yet, so HQ printed a one-time setup code; only it creates the editor.
  const code = /setup code ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(stderr)?.[1];
  assert.ok(code, `no setup code printed:\n${stderr.slice(-2000)}`);
  const setup = (setupCode?: string) =>
    fetch(`${baseUrl}/api/auth/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-outpost-csrf': '1' },
      body: JSON.stringify({ name: 'hq-admin', password: 'a long hq password', setupCode }),
    });
  assert.equal((await setup('ZZZZ-ZZZZ')).status, 403);
  assert.equal((await setup(code)).status, 201);
});
