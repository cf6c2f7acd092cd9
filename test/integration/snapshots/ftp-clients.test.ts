import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeServerCert, makeTestCa } from '../../kit/tls.js';
import { jpeg, python, run, sha256, startTestFtp, type TestFtp } from './ftp-kit.js';

/**
 * Cameras' uploads as real FTP clients make them (curl, lftp, Python's ftplib), in passive mode
 * (EPSV and PASV), plain and FTPS: accept sees the camera of each login, the path it wrote to
 * and the SHA-256 of the bytes sent; nothing is left in the temporary folder.
 */
let files: string;
before(async () => {
  files = await mkdtemp(join(tmpdir(), 'outpost-ftp-files-'));
});
after(async () => rm(files, { recursive: true, force: true }));

async function jpegFile(name: string, seed: number): Promise<{ path: string; sha: string; size: number }> {
  const b = await jpeg(seed);
  const path = join(files, name);
  await writeFile(path, b);
  return { path, sha: sha256(b), size: b.length };
}

describe('snapshot FTP with curl', () => {
  let ftp: TestFtp;
  before(async () => {
    ftp = await startTestFtp();
  });
  after(async () => ftp.stop());

  it('uploads over EPSV into folders it makes (--ftp-create-dirs), for the camera that logged in', async () => {
    const f = await jpegFile('03[R][0@0][0].jpg', 1);
    const r = await run('curl', [
      '-sS',
      '--globoff',
      '--ftp-create-dirs',
      '-T',
      f.path,
      ftp.url('cam1', 'pw-one', '/2026-12-04/001/jpg/10/15/'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const u = ftp.uploads.at(-1)!;
    assert.equal(u.user, 'cam1');
    assert.equal(u.camera, 'gate');
    assert.equal(u.path, '2026-12-04/001/jpg/10/15/03[R][0@0][0].jpg');
    assert.equal(u.sha256, f.sha);
    assert.equal(u.fileSha256, f.sha);
    assert.equal(u.bytes, f.size);
    assert.equal(u.remoteAddress, '127.0.0.1');
    assert.equal(u.receivedAt.toISOString(), '2026-12-04T10:15:03.000Z');
    assert.equal(dirname(u.file), await realpath(ftp.tmpDir));
    assert.match(u.file, /\/ftp-[0-9a-f]+\.part$/);
    // The folders are real ones in the user's area; the file itself went to accept, not there.
    assert.ok((await stat(join(ftp.areaDir, 'cam1', '2026-12-04/001/jpg/10/15'))).isDirectory());
    await assert.rejects(stat(join(ftp.areaDir, 'cam1', '2026-12-04/001/jpg/10/15/03[R][0@0][0].jpg')));
    assert.deepEqual(await ftp.tmpFiles(), []);
  });

  it('uploads over PASV (--disable-epsv), the second login as its own camera', async () => {
    const f = await jpegFile('snap.jpg', 2);
    const r = await run('curl', [
      '-sS',
      '--disable-epsv',
      '--ftp-create-dirs',
      '-T',
      f.path,
      ftp.url('cam2', 'pw-two', '/a/b/'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const u = ftp.uploads.at(-1)!;
    assert.deepEqual([u.user, u.camera, u.path, u.sha256], ['cam2', 'barn', 'a/b/snap.jpg', f.sha]);
    assert.ok((await stat(join(ftp.areaDir, 'cam2', 'a/b'))).isDirectory());
    assert.deepEqual(await ftp.tmpFiles(), []);
  });

  it('lists the folder with what this camera uploaded (LIST after STOR)', async () => {
    const r = await run('curl', ['-sS', ftp.url('cam1', 'pw-one', '/2026-12-04/001/jpg/10/15/')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /03\[R\]\[0@0\]\[0\]\.jpg/);
    const top = await run('curl', ['-sS', '--list-only', ftp.url('cam1', 'pw-one', '/')]);
    assert.equal(top.stdout.trim(), '2026-12-04');
    // Another camera's area is not this one's.
    const other = await run('curl', ['-sS', '--list-only', ftp.url('cam2', 'pw-two', '/')]);
    assert.equal(other.stdout.trim(), 'a');
  });
});

describe('snapshot FTP over explicit TLS (FTPS)', () => {
  let ftp: TestFtp;
  let ca: string;
  before(async () => {
    const dir = join(files, 'tls');
    await mkdir(dir);
    const authority = await makeTestCa(dir);
    const cert = await makeServerCert(dir, authority);
    ca = authority.certFile;
    ftp = await startTestFtp({
      tls: { key: await readFile(cert.keyFile), cert: await readFile(cert.certFile) },
    });
  });
  after(async () => ftp.stop());

  for (const epsv of [true, false])
    it(`uploads with curl --ssl-reqd (AUTH TLS, PROT P) over ${epsv ? 'EPSV' : 'PASV'}`, async () => {
      const f = await jpegFile(`tls-${epsv}.jpg`, epsv ? 3 : 4);
      const r = await run('curl', [
        '-sS',
        '-v',
        '--ssl-reqd',
        '--cacert',
        ca,
        ...(epsv ? [] : ['--disable-epsv']),
        '--ftp-create-dirs',
        '-T',
        f.path,
        ftp.url('cam1', 'pw-one', '/secure/'),
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /AUTH TLS/);
      assert.match(r.stderr, /PROT P/);
      const u = ftp.uploads.at(-1)!;
      assert.deepEqual([u.camera, u.path, u.sha256], ['gate', `secure/tls-${epsv}.jpg`, f.sha]);
      assert.deepEqual(await ftp.tmpFiles(), []);
    });

  it('FEAT offers AUTH TLS; -k works as cameras that do not check certificates', async () => {
    const f = await jpegFile('tls-k.jpg', 5);
    const r = await run('curl', ['-sS', '--ssl-reqd', '-k', '-T', f.path, ftp.url('cam2', 'pw-two', '/')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(ftp.uploads.at(-1)!.path, 'tls-k.jpg');
  });
});

describe('snapshot FTP with lftp (mirror -R of a folder)', () => {
  let ftp: TestFtp;
  before(async () => {
    ftp = await startTestFtp();
  });
  after(async () => ftp.stop());

  for (const epsv of ['no', 'yes'])
    it(`mirrors a camera's folder tree up, ftp:prefer-epsv ${epsv}`, async () => {
      const local = join(files, `tree-${epsv}`);
      const want = new Map<string, string>();
      let seed = epsv === 'no' ? 100 : 200;
      for (const rel of [
        '2026-12-04/001/jpg/10/15/01.jpg',
        '2026-12-04/001/jpg/10/15/02.jpg',
        '2026-12-04/002/a.jpg',
      ]) {
        const b = await jpeg(seed++);
        await mkdir(join(local, rel, '..'), { recursive: true });
        await writeFile(join(local, rel), b);
        want.set(`${epsv}/${rel}`, sha256(b));
      }
      const before = ftp.uploads.length;
      const script = [
        'set ftp:passive-mode on',
        `set ftp:prefer-epsv ${epsv}`,
        'set ftp:ssl-allow no',
        'set net:max-retries 1',
        'set net:timeout 10',
        'set cmd:fail-exit yes',
        `open -u cam1,pw-one ftp://127.0.0.1:${ftp.port}`,
        `mirror -R --no-perms ${local} ${epsv}`,
        'bye',
      ].join('\n');
      const r = await run('lftp', ['-c', script], { timeoutMs: 60_000 });
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const got = new Map(ftp.uploads.slice(before).map((u) => [u.path, u.sha256]));
      assert.deepEqual(got, want);
      assert.ok(ftp.uploads.slice(before).every((u) => u.camera === 'gate' && u.sha256 === u.fileSha256));
      assert.deepEqual(await ftp.tmpFiles(), []);
    });
});

describe('snapshot FTP with Python ftplib', () => {
  let ftp: TestFtp;
  before(async () => {
    ftp = await startTestFtp();
  });
  after(async () => ftp.stop());

  it('logs in, makes folders, stores, then SIZE, LIST and NLST answer for the upload', async () => {
    const f = await jpegFile('py.jpg', 9);
    const out = await python<Record<string, unknown>>(
      `
import ftplib, json, sys
port, path = int(sys.argv[1]), sys.argv[2]
f = ftplib.FTP()
f.connect('127.0.0.1', port, timeout=10)
r = {'welcome': f.getwelcome()}
r['login'] = f.login('cam2', 'pw-two')
r['syst'] = f.sendcmd('SYST')
r['feat'] = f.sendcmd('FEAT')
r['mkd'] = f.mkd('cam/2026-12-04')
r['cwd'] = f.cwd('cam/2026-12-04')
r['pwd'] = f.pwd()
with open(path, 'rb') as fh:
    r['stor'] = f.storbinary('STOR py.jpg', fh)
f.voidcmd('TYPE I')
r['size'] = f.size('py.jpg')
r['size_abs'] = f.size('/cam/2026-12-04/py.jpg')
r['nlst'] = f.nlst()
lines = []
f.retrlines('LIST', lines.append)
r['list'] = lines
f.cwd('..')
r['cdup_pwd'] = f.pwd()
r['noop'] = f.sendcmd('NOOP')
r['quit'] = f.quit()
print(json.dumps(r))
`,
      [ftp.port, f.path],
    );
    assert.match(String(out.welcome), /^220/);
    assert.match(String(out.login), /^230/);
    assert.match(String(out.feat), /SIZE/);
    assert.doesNotMatch(String(out.feat), /MDTM|REST|EPRT/);
    assert.equal(out.pwd, '/cam/2026-12-04');
    assert.match(String(out.stor), /^226/);
    assert.equal(out.size, f.size);
    assert.equal(out.size_abs, f.size);
    assert.deepEqual(out.nlst, ['py.jpg']);
    assert.match((out.list as string[])[0]!, new RegExp(`^-.* ${f.size} .* py\\.jpg$`));
    assert.equal(out.cdup_pwd, '/cam');
    assert.match(String(out.quit), /^221/);
    const u = ftp.uploads.at(-1)!;
    assert.deepEqual([u.user, u.camera, u.path, u.sha256], ['cam2', 'barn', 'cam/2026-12-04/py.jpg', f.sha]);
  });
});
