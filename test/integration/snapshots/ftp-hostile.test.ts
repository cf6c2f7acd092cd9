import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../../src/adapters/logger.js';
import { OutpostError } from '../../../src/core/errors.js';
import { startSnapshotFtp, type FtpUpload } from '../../../src/snapshots/ftp/index.js';
import {
  eventually,
  jpeg,
  python,
  run,
  sha256,
  startTestFtp,
  testClock,
  type TestFtp,
  USERS,
} from './ftp-kit.js';

/**
 * What a hostile or broken client cannot do to the snapshot FTP server: read, delete or rename
 * anything, leave its area (`..`, absolute paths, backslashes, NUL, links placed there), fill the
 * disk with one endless upload, hold every connection, guess passwords without end, or hang on to
 * an idle connection; and what is left after a failed upload: nothing.
 */

/** ftplib: log in, send each command, answer the replies (or the error a 4xx/5xx raises). */
const SEND = `
import ftplib, json, sys
port, user, pw, cmds = int(sys.argv[1]), sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
f = ftplib.FTP()
f.connect('127.0.0.1', port, timeout=10)
out = []
if user:
    f.login(user, pw)
for c in cmds:
    try:
        out.append(f.sendcmd(c))
    except ftplib.all_errors as e:
        out.append(str(e))
print(json.dumps(out))
`;
const send = (
  ftp: TestFtp,
  user: string,
  cmds: string[],
  pw = USERS.find((u) => u.user === user)?.password ?? '',
) => python<string[]>(SEND, [ftp.port, user, pw, JSON.stringify(cmds)]);

/** ftplib: log in, STOR each name (with `data`), answer the replies. */
const STORE = `
import ftplib, io, json, sys
port, user, pw, names = int(sys.argv[1]), sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
data = b'\\xff\\xd8' + b'x' * 1000 + b'\\xff\\xd9'
f = ftplib.FTP()
f.connect('127.0.0.1', port, timeout=10)
f.login(user, pw)
out = []
for n in names:
    try:
        out.append(f.storbinary('STOR ' + n, io.BytesIO(data)))
    except ftplib.all_errors as e:
        out.append(str(e))
print(json.dumps(out))
`;
const store = (ftp: TestFtp, user: string, names: string[]) =>
  python<string[]>(STORE, [
    ftp.port,
    user,
    USERS.find((u) => u.user === user)!.password,
    JSON.stringify(names),
  ]);

/** Every file under a folder, relative. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    out.push(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(dir.length + 1));
  return out.sort();
}

describe('only upload-side commands', () => {
  let ftp: TestFtp;
  before(async () => {
    ftp = await startTestFtp();
  });
  after(async () => ftp.stop());

  it('refuses reading, deleting, renaming, SITE, active mode (PORT/EPRT: FTP bounce) and the rest with 5xx', async () => {
    await send(ftp, 'cam1', ['MKD d']);
    const cmds = [
      'RETR x.jpg',
      'DELE x.jpg',
      'RNFR x.jpg',
      'RNTO y.jpg',
      'SITE CHMOD 777 d',
      'RMD d',
      'APPE x.jpg',
      'STOU',
      'PORT 127,0,0,1,4,1',
      'EPRT |1|127.0.0.1|1025|',
      'MDTM x.jpg',
      'REST 100',
      'STAT',
      'HELP',
      'XMKD e',
      'MLSD',
      'BOGUS',
    ];
    const replies = await send(ftp, 'cam1', cmds);
    replies.forEach((r, i) => assert.match(r, /^5\d\d /, `${cmds[i]} → ${r}`));
    assert.match(replies[8]!, /active mode/);
    // The folder is still there: RMD did nothing.
    assert.ok((await stat(join(ftp.areaDir, 'cam1', 'd'))).isDirectory());
  });

  it('answers nothing but the greeting, FEAT, SYST and login before a login', async () => {
    const replies = await send(ftp, '', ['STOR x.jpg', 'LIST', 'CWD /', 'MKD x', 'SIZE x', 'SYST', 'PWD']);
    assert.deepEqual(
      replies.map((r) => r.slice(0, 3)),
      ['530', '530', '530', '530', '530', '215', '530'],
    );
  });
});

describe('a camera stays in its own area', () => {
  let ftp: TestFtp;
  let outside: string;
  before(async () => {
    ftp = await startTestFtp({
      users: [...USERS, { user: 'cam3', password: 'pw-three', camera: 'pond' }],
    });
    outside = join(ftp.work, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'secret');
    // Someone else (not FTP) placed links in cam1's area, and made cam3's area a link.
    await mkdir(join(ftp.areaDir, 'cam1'), { recursive: true });
    await symlink(outside, join(ftp.areaDir, 'cam1', 'link-out'));
    await symlink(join(outside, 'secret.txt'), join(ftp.areaDir, 'cam1', 'link-file'));
    await symlink(outside, join(ftp.areaDir, 'cam3'));
  });
  after(async () => ftp.stop());

  it('reads `..`, absolute paths and backslashes inside the area', async () => {
    const replies = await send(ftp, 'cam1', [
      'CWD /../../..',
      'PWD',
      'CWD ../../etc',
      'MKD /../../etc',
      'MKD ..\\..\\..\\up',
      'MKD ../cam2/x',
      'CWD ../../../../etc',
      'PWD',
    ]);
    assert.deepEqual(replies, [
      '250 "/"',
      '257 "/"',
      '550 No such directory',
      '257 "/etc"',
      '257 "/up"',
      '257 "/cam2/x"',
      '250 "/etc"',
      '257 "/etc"',
    ]);
    // Made inside cam1's area, never beside it (no cam2/x in cam2's area) or above it.
    const area = join(ftp.areaDir, 'cam1');
    for (const d of ['etc', 'up', 'cam2/x']) assert.ok((await stat(join(area, d))).isDirectory(), d);
    await assert.rejects(stat(join(ftp.areaDir, 'cam2', 'x')));
    await assert.rejects(stat(join(ftp.areaDir, 'up')));
    await assert.rejects(stat(join(ftp.work, 'up')));

    const stored = await store(ftp, 'cam1', [
      '/../../etc/passwd',
      '..\\..\\..\\escape.jpg',
      'up/../../../../x.jpg',
    ]);
    assert.deepEqual(
      stored.map((r) => r.slice(0, 3)),
      ['226', '226', '226'],
    );
    assert.deepEqual(
      ftp.uploads.slice(-3).map((u) => u.path),
      ['etc/passwd', 'escape.jpg', 'x.jpg'],
    );
  });

  it('refuses NUL bytes and control characters in names', async () => {
    const replies = await send(ftp, 'cam1', [
      'MKD a\u0000b',
      'CWD etc\u0000/..',
      'SIZE x\u0000.jpg',
      'MKD a\u0007b',
    ]);
    replies.forEach((r) => assert.match(r, /^550 /, r));
    const stored = await store(ftp, 'cam1', ['x\u0000.jpg']);
    assert.match(stored[0]!, /^553 /);
    assert.ok(
      !(await tree(join(ftp.areaDir, 'cam1'))).some((p) => p.includes('\u0000') || p.startsWith('a')),
    );
  });

  it('never follows a link placed in the area', async () => {
    const replies = await send(ftp, 'cam1', [
      'CWD link-out',
      'MKD link-out/sub',
      'SIZE link-file',
      'SIZE link-out/secret.txt',
      'CWD /link-out/../link-out',
    ]);
    replies.forEach((r) => assert.match(r, /^550 /, r));
    const stored = await store(ftp, 'cam1', ['link-out/x.jpg', 'link-file', '/link-out/secret.txt']);
    stored.forEach((r) => assert.match(r, /^553 /, r));
    assert.deepEqual(await readdir(outside), ['secret.txt']);
    assert.equal(await readFile(join(outside, 'secret.txt'), 'utf8'), 'secret');
    // LIST and NLST leave the links out, and cannot list through them.
    const listing = await python<{ nlst: string[]; list: string }>(
      `
import ftplib, json, sys
f = ftplib.FTP(); f.connect('127.0.0.1', int(sys.argv[1]), timeout=10); f.login('cam1', 'pw-one')
out = {'nlst': f.nlst()}
try:
    f.nlst('link-out')
    out['list'] = 'listed'
except ftplib.all_errors as e:
    out['list'] = str(e)
print(json.dumps(out))
`,
      [ftp.port],
    );
    assert.ok(!listing.nlst.includes('link-out') && !listing.nlst.includes('link-file'), listing.nlst.join());
    assert.match(listing.list, /^(451|550) /);
  });

  it('refuses a login whose area is a link', async () => {
    const replies = await python<string>(
      `
import ftplib, json, sys
f = ftplib.FTP(); f.connect('127.0.0.1', int(sys.argv[1]), timeout=10)
try:
    print(json.dumps(f.login('cam3', 'pw-three')))
except ftplib.all_errors as e:
    print(json.dumps(str(e)))
`,
      [ftp.port],
    );
    assert.match(replies, /^530 /);
    assert.deepEqual(await readdir(outside), ['secret.txt']);
  });
});

describe('uploads that fail leave nothing behind', () => {
  let ftp: TestFtp;
  let big: string;
  let accept: (u: FtpUpload) => Promise<void> = async () => undefined;
  before(async () => {
    ftp = await startTestFtp({ maxFileBytes: 1 << 20, idleTimeoutMs: 600, accept: (u) => accept(u) });
    big = join(ftp.work, 'big.bin');
    await writeFile(big, Buffer.alloc(3 << 20, 7));
  });
  after(async () => ftp.stop());

  const clean = async (): Promise<void> => {
    await eventually(async () => assert.deepEqual(await ftp.tmpFiles(), []));
    // Only folders in the areas: no upload's bytes ever land there.
    for (const p of await tree(ftp.areaDir)) assert.ok((await stat(join(ftp.areaDir, p))).isDirectory(), p);
  };

  it('cuts off an upload above maxFileBytes (552)', async () => {
    const r = await run('curl', ['-sS', '-v', '-T', big, ftp.url('cam1', 'pw-one', '/big.jpg')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /552|Failed|failed|Send failure|reset/i);
    await eventually(() => assert.equal(ftp.srv.stats().rejected['too-big'], 1));
    await clean();
  });

  it('stops a "10 GB" upload from /dev/zero at once, without using the disk', async () => {
    const r = await run('curl', ['-sS', '-T', '/dev/zero', ftp.url('cam1', 'pw-one', '/zero.jpg')], {
      timeoutMs: 30_000,
    });
    assert.notEqual(r.code, null, 'curl was still sending after 30 s');
    assert.notEqual(r.code, 0);
    assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
    await eventually(() => assert.equal(ftp.srv.stats().rejected['too-big'], 2));
    await clean();
  });

  it('refuses an empty upload (550)', async () => {
    const empty = join(ftp.work, 'empty.jpg');
    await writeFile(empty, '');
    const r = await run('curl', ['-sS', '-v', '-T', empty, ftp.url('cam1', 'pw-one', '/')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /< 550 Empty file refused/);
    assert.equal(ftp.srv.stats().rejected.empty, 1);
    await clean();
  });

  it('when accept throws: 451 (or 550) with its message, the file removed', async () => {
    const f = join(ftp.work, 'a.jpg');
    await writeFile(f, await jpeg(1));
    accept = async () => {
      throw new OutpostError('CLOCK_SUSPECT', 'station clock not set');
    };
    let r = await run('curl', ['-sS', '-v', '-T', f, ftp.url('cam1', 'pw-one', '/')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /< 451 station clock not set/);
    accept = async () => {
      throw new OutpostError('INVALID_INPUT', 'not a JPEG');
    };
    r = await run('curl', ['-sS', '-v', '-T', f, ftp.url('cam1', 'pw-one', '/')]);
    assert.match(r.stderr, /< 550 not a JPEG/);
    assert.equal(ftp.srv.stats().rejected['refused-by-accept'], 2);
    // accept that leaves the file where it was: the server removes it.
    let seen = '';
    accept = async (u) => {
      seen = u.file;
    };
    r = await run('curl', ['-sS', '-T', f, ftp.url('cam1', 'pw-one', '/')]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(seen.endsWith('.part'));
    await assert.rejects(stat(seen));
    await clean();
    accept = async () => undefined;
  });

  it('ABOR mid-upload (ftplib abort), a dropped connection and a reset one: nothing kept', async () => {
    const before = ftp.srv.stats().rejected.aborted;
    const out = await python<Record<string, string>>(
      `
import ftplib, json, socket, struct, sys, time
port = int(sys.argv[1])
out = {}
def session():
    f = ftplib.FTP(); f.connect('127.0.0.1', port, timeout=10); f.login('cam2', 'pw-two')
    f.voidcmd('TYPE I')
    return f
# ABOR, as ftplib sends it (urgent data)
f = session()
conn = f.transfercmd('STOR abor.jpg')
conn.sendall(b'x' * 200000)
time.sleep(0.2)
out['abort'] = f.abort()
conn.close()
out['after'] = f.getline()
out['noop'] = f.sendcmd('NOOP')
f.close()
# the control connection dropped mid-transfer (the data one closes cleanly after)
f = session()
conn = f.transfercmd('STOR dropped.jpg')
conn.sendall(b'x' * 200000)
f.file.close(); f.sock.close()
time.sleep(0.3)
try:
    conn.sendall(b'x' * 1000)
except OSError:
    pass
conn.close()
# both reset mid-transfer
f = session()
conn = f.transfercmd('STOR reset.jpg')
conn.sendall(b'x' * 200000)
f.file.close()
for s in (conn, f.sock):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    s.close()
time.sleep(0.3)
print(json.dumps(out))
`,
      [ftp.port],
    );
    assert.match(out.abort!, /^426 /);
    assert.match(out.after!, /^226 /);
    assert.match(out.noop!, /^200 /);
    await eventually(() => assert.equal(ftp.srv.stats().rejected.aborted, before + 3));
    assert.ok(!ftp.uploads.some((u) => /abor|dropped|reset/.test(u.path)));
    await clean();
  });

  it('cuts off a client that floods commands behind its upload (421), the upload dropped', async () => {
    const before = ftp.srv.stats().rejected.aborted;
    const lines = await python<string[]>(
      `
import ftplib, json, sys, time
f = ftplib.FTP(); f.connect('127.0.0.1', int(sys.argv[1]), timeout=10); f.login('cam1', 'pw-one')
conn = f.transfercmd('STOR flood.jpg')
try:
    for i in range(200):
        f.sock.sendall(b'NOOP\\r\\n')
        time.sleep(0.002)
except OSError:
    pass
lines = []
try:
    while True:
        l = f.file.readline()
        if not l:
            break
        lines.append(l.strip())
except OSError:
    pass
print(json.dumps(lines))
`,
      [ftp.port],
    );
    assert.ok(
      lines.some((l) => l.startsWith('421 Too many commands')),
      lines.join(' | '),
    );
    await eventually(() => assert.equal(ftp.srv.stats().rejected.aborted, before + 1));
    assert.ok(!ftp.uploads.some((u) => u.path === 'flood.jpg'));
    await clean();
  });

  it('closes a data connection that never sends (426) and a control connection left idle', async () => {
    const before = ftp.srv.stats().rejected.aborted;
    const out = await python<Record<string, string | number>>(
      `
import ftplib, json, socket, sys, time
port = int(sys.argv[1])
out = {}
f = ftplib.FTP(); f.connect('127.0.0.1', port, timeout=10); f.login('cam1', 'pw-one')
conn = f.transfercmd('STOR stalled.jpg')
t0 = time.time()
try:
    f.voidresp()
    out['stalled'] = 'completed'
except ftplib.all_errors as e:
    out['stalled'] = str(e)
out['stalled_s'] = time.time() - t0
conn.settimeout(5)
try:
    out['data_after'] = repr(conn.recv(10))
except OSError as e:
    out['data_after'] = type(e).__name__
# now idle on the control connection, with a passive data connection open and unused
host, dport = f.makepasv()
data = socket.create_connection((host, dport), timeout=5)
t0 = time.time()
try:
    out['ctrl'] = f.getline()
except Exception as e:
    out['ctrl'] = type(e).__name__
out['ctrl_s'] = time.time() - t0
try:
    out['idle_data'] = repr(data.recv(10))
except OSError as e:
    out['idle_data'] = type(e).__name__
print(json.dumps(out))
`,
      [ftp.port],
    );
    assert.match(String(out.stalled), /^426 Data connection idle/);
    assert.ok(Number(out.stalled_s) < 3, String(out.stalled_s));
    assert.match(String(out.data_after), /^(b''|ConnectionResetError)$/);
    assert.match(String(out.ctrl), /^421 Idle/);
    assert.ok(Number(out.ctrl_s) < 3, String(out.ctrl_s));
    assert.match(String(out.idle_data), /^(b''|ConnectionResetError)$/);
    assert.equal(ftp.srv.stats().rejected.aborted, before + 1);
    await clean();
  });
});

describe('limits on connections and logins', () => {
  it('holds 20 of 100 simultaneous connections, refuses the rest with 421, and serves afterwards', async () => {
    const ftp = await startTestFtp({ maxConnections: 20 });
    try {
      const sockets: Socket[] = [];
      const firstLines = await Promise.all(
        Array.from(
          { length: 100 },
          () =>
            new Promise<string>((resolve) => {
              const s = connect(ftp.port, '127.0.0.1');
              sockets.push(s);
              let buf = '';
              s.on('data', (d: Buffer) => {
                buf += d.toString();
                if (buf.includes('\r\n')) resolve(buf.slice(0, 3));
              });
              s.on('error', () => resolve('err'));
              s.on('close', () => resolve(buf.slice(0, 3) || 'closed'));
            }),
        ),
      );
      const count = (c: string): number => firstLines.filter((l) => l === c).length;
      assert.equal(count('220'), 20, firstLines.join(' '));
      assert.equal(count('421'), 80, firstLines.join(' '));
      assert.equal(ftp.srv.stats().connections, 20);
      assert.equal(ftp.srv.stats().connectionsRefused, 80);
      for (const s of sockets) s.destroy();
      await eventually(() => assert.equal(ftp.srv.stats().connections, 0));
      const f = join(ftp.work, 'after.jpg');
      await writeFile(f, await jpeg(3));
      const r = await run('curl', ['-sS', '-T', f, ftp.url('cam1', 'pw-one', '/')]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(ftp.uploads.at(-1)!.sha256, sha256(await readFile(f)));
    } finally {
      await ftp.stop();
    }
  });

  it('after maxFailures wrong passwords from an address, refuses even the right one until the window passes', async () => {
    const clock = testClock();
    const ftp = await startTestFtp({ login: { maxFailures: 3, windowMs: 60_000 }, clock });
    try {
      const f = join(ftp.work, 'a.jpg');
      await writeFile(f, await jpeg(4));
      for (const pw of ['nope', 'guess', 'pw-two'])
        assert.equal((await run('curl', ['-sS', '-T', f, ftp.url('cam1', pw, '/')])).code, 67);
      const blocked = await python<string>(
        `
import ftplib, json, sys
f = ftplib.FTP(); f.connect('127.0.0.1', int(sys.argv[1]), timeout=10)
try:
    print(json.dumps(f.login('cam1', 'pw-one')))
except ftplib.all_errors as e:
    print(json.dumps(str(e)))
`,
        [ftp.port],
      );
      assert.match(blocked, /^530 Too many failed logins/);
      assert.equal((await run('curl', ['-sS', '-T', f, ftp.url('cam2', 'pw-two', '/')])).code, 67);
      assert.deepEqual(
        [ftp.srv.stats().loginFailures, ftp.srv.stats().loginsBlocked, ftp.uploads.length],
        [3, 2, 0],
      );
      clock.advance(60_001);
      const r = await run('curl', ['-sS', '-T', f, ftp.url('cam1', 'pw-one', '/')]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(ftp.uploads.length, 1);
    } finally {
      await ftp.stop();
    }
  });
});

describe('start and stop', () => {
  it('removes stale ftp-*.part files at start, and leaves other files alone', async () => {
    const first = await startTestFtp();
    const tmp = first.tmpDir;
    await first.srv.close();
    await writeFile(join(tmp, 'ftp-old.part'), 'x');
    await writeFile(join(tmp, 'keep.txt'), 'x');
    const again = await startSnapshotFtp({
      host: '127.0.0.1',
      port: 0,
      passivePorts: { min: 30000, max: 30099 },
      publicAddress: '127.0.0.1',
      users: USERS,
      areaDir: first.areaDir,
      tmpDir: tmp,
      maxFileBytes: 1000,
      maxConnections: 2,
      idleTimeoutMs: 1000,
      login: { maxFailures: 3, windowMs: 1000 },
      accept: async () => undefined,
      log: silentLogger,
      clock: testClock(),
    });
    assert.deepEqual(await readdir(tmp), ['keep.txt']);
    await again.close();
    await rm(first.work, { recursive: true, force: true });
  });

  it('refuses unusable settings, every problem listed', async () => {
    await assert.rejects(
      startSnapshotFtp({
        host: '127.0.0.1',
        port: 0,
        passivePorts: { min: 5000, max: 4000 },
        publicAddress: 'camera-net',
        users: [
          { user: '../x', password: 'p', camera: 'c' },
          { user: 'a', password: '', camera: 'c' },
          { user: 'a', password: 'p', camera: 'c' },
        ],
        areaDir: '/nonexistent-never',
        tmpDir: '/nonexistent-never',
        maxFileBytes: 0,
        maxConnections: 0,
        idleTimeoutMs: 0,
        login: { maxFailures: 0, windowMs: 0 },
        accept: async () => undefined,
        log: silentLogger,
        clock: testClock(),
      }),
      (e) => {
        assert.ok(e instanceof OutpostError && e.code === 'CONFIG_INVALID');
        assert.equal((e.details as { problems: string[] }).problems.length, 9, e.message);
        return true;
      },
    );
  });
});
