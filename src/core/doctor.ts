/**
 * `outpost doctor`: what the station needs, each as one line (ok / warn / fail) with what to do.
 * Pure: the CLI looks at the machine (src/cli/doctor-probes.ts) and passes the facts in; the
 * verdicts, the report and its exit code are decided here.
 */
import { driveHealth, formatSize, type DriveHealthThresholds, type DriveSpace } from './drive-health.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  /** Stable name for scripts: node, ffmpeg, config, service, user, leds, clock, library, mounts... */
  id: string;
  status: CheckStatus;
  message: string;
  /** What to do (warn and fail). */
  fix?: string;
}

export interface DoctorReport {
  /** Nothing failed (warnings allowed). */
  ok: boolean;
  counts: Record<CheckStatus, number>;
  checks: DoctorCheck[];
}

const ok = (id: string, message: string): DoctorCheck => ({ id, status: 'ok', message });
const warn = (id: string, message: string, fix: string): DoctorCheck => ({
  id,
  status: 'warn',
  message,
  fix,
});
const fail = (id: string, message: string, fix: string): DoctorCheck => ({
  id,
  status: 'fail',
  message,
  fix,
});

export function doctorReport(checks: DoctorCheck[]): DoctorReport {
  const counts: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0 };
  for (const c of checks) counts[c.status]++;
  return { ok: counts.fail === 0, counts, checks };
}

/** 0 when nothing failed, 1 otherwise. */
export function doctorExitCode(r: DoctorReport): number {
  return r.ok ? 0 : 1;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The terminal rendering: a summary line, then one line per check and its fix below it. */
export function renderDoctor(r: DoctorReport, color = false): string {
  const paint = (s: CheckStatus, text: string): string =>
    !color ? text : `\x1b[${s === 'ok' ? 32 : s === 'warn' ? 33 : 31}m${text}\x1b[0m`;
  const label: Record<CheckStatus, string> = { ok: 'ok', warn: 'warn', fail: 'FAIL' };
  const idWidth = Math.max(8, ...r.checks.map((c) => c.id.length));
  const lines = r.checks.flatMap((c) => {
    const head = `  ${paint(c.status, label[c.status].padEnd(4))}  ${c.id.padEnd(idWidth)}  ${c.message}`;
    return c.fix && c.status !== 'ok' ? [head, `  ${' '.repeat(4 + 2 + idWidth + 2)}fix: ${c.fix}`] : [head];
  });
  const summary = r.ok
    ? r.counts.warn
      ? `outpost doctor: nothing failed, ${plural(r.counts.warn, 'warning')}`
      : 'outpost doctor: all good'
    : `outpost doctor: ${plural(r.counts.fail, 'problem')}${r.counts.warn ? `, ${plural(r.counts.warn, 'warning')}` : ''}`;
  return [summary, ...lines].join('\n');
}

/** Node.js: at least `min` (the engines of package.json). */
export function checkNode(version: string, min = '20.19.0'): DoctorCheck {
  const parse = (v: string): number[] =>
    v
      .replace(/^v/, '')
      .split('.')
      .map((x) => Number.parseInt(x, 10) || 0);
  const [a, b] = [parse(version), parse(min)];
  let cmp = 0;
  for (let i = 0; i < 3 && cmp === 0; i++) cmp = (a[i] ?? 0) - (b[i] ?? 0);
  const v = version.startsWith('v') ? version : `v${version}`;
  return cmp >= 0
    ? ok('node', `Node.js ${v}`)
    : fail(
        'node',
        `Node.js ${v} is older than ${min}`,
        'sudo ./scripts/setup-station.sh installs a newer one (Debian 13 / Raspberry Pi OS, or NodeSource LTS)',
      );
}

/** A program Outpost runs: its version line when found, undefined when not on the PATH. */
export function checkTool(
  id: string,
  found: { version?: string | undefined } | undefined,
  pkg: string,
  why: string,
  required: boolean,
): DoctorCheck {
  if (found) return ok(id, found.version ? found.version : `${id} found`);
  const fix = `sudo apt-get install ${pkg}`;
  return required
    ? fail(id, `${id} is not installed: ${why}`, fix)
    : warn(id, `${id} is not installed: ${why}`, fix);
}

/** The clock is plausible when it is not before this program was built. */
export function checkClock(nowMs: number, buildMs: number, ntpSynchronized: boolean | null): DoctorCheck {
  const now = new Date(nowMs).toISOString().replace(/\.\d+Z$/, 'Z');
  const built = new Date(buildMs).toISOString().slice(0, 10);
  if (nowMs < buildMs)
    return fail(
      'clock',
      `the clock says ${now}, before this Outpost was built (${built}): new files would get wrong dates`,
      `connect the station to the internet (NTP), or set the time: sudo date -s 'YYYY-MM-DD HH:MM'`,
    );
  const sync =
    ntpSynchronized === true ? 'NTP synchronised' : ntpSynchronized === false ? 'not NTP synchronised' : '';
  return ok('clock', `${now}${sync ? ` (${sync})` : ''}`);
}

/** Free space on the attached library drive, by the station's own thresholds. */
export function checkLibrarySpace(
  drive: { label: string; root: string } | undefined,
  space: DriveSpace | undefined,
  thresholds: DriveHealthThresholds,
): DoctorCheck {
  if (!drive)
    return warn(
      'library',
      'no library drive attached',
      'plug in a library drive (an empty one can be made one from the web app, or `outpost init-drive <dir>`)',
    );
  const name = `library drive "${drive.label}" (${drive.root})`;
  if (!space)
    return fail(
      'library',
      `${name}: cannot read its free space`,
      'check that the drive is mounted (`findmnt`)',
    );
  const h = driveHealth(space, thresholds);
  if (h.level === 'ok') return ok('library', `${name}: ${h.reason}`);
  const fix = `free space on it or plug in a bigger drive (thresholds: drives.health, ${formatSize(thresholds.minFreeBytes)} minimum)`;
  return h.level === 'full'
    ? fail('library', `${name}: ${h.reason}`, fix)
    : warn('library', `${name}: ${h.reason}`, fix);
}

/** Who the station runs as: the service user, or whoever runs it by hand. */
export interface Account {
  name: string;
  uid: number;
  gid: number;
  /** Supplementary group ids. */
  groups: number[];
}

/** The parts of a stat that decide access. */
export interface FileMode {
  mode: number;
  uid: number;
  gid: number;
}

/** POSIX permission bits as the kernel checks them (owner, else group, else other; root passes). */
export function canAccess(
  st: FileMode,
  who: Account,
  want: { read?: boolean; write?: boolean; exec?: boolean },
): boolean {
  if (who.uid === 0) return true;
  const shift = st.uid === who.uid ? 6 : st.gid === who.gid || who.groups.includes(st.gid) ? 3 : 0;
  const bits = (st.mode >> shift) & 7;
  return (
    (!want.read || (bits & 4) !== 0) && (!want.write || (bits & 2) !== 0) && (!want.exec || (bits & 1) !== 0)
  );
}

/** An account from /etc/passwd and /etc/group texts; undefined when there is no such user. */
export function accountFrom(passwd: string, group: string, name: string): Account | undefined {
  const row = passwd
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => f[0] === name && f.length >= 4);
  if (!row) return undefined;
  const gid = Number(row[3]);
  const groups = group
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 4 && (f[3] ?? '').split(',').includes(name))
    .map((f) => Number(f[2]));
  return { name, uid: Number(row[2]), gid, groups };
}

/** Group name → gid, from an /etc/group text. */
export function groupIds(group: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of group.split('\n').map((l) => l.split(':')))
    if (f.length >= 3 && f[0]) out.set(f[0], Number(f[2]));
  return out;
}

/**
 * The service user and its groups: disk (reading cards and drives themselves), video (cameras),
 * gpio (LEDs, eject button) where those groups exist.
 */
export function checkServiceUser(
  account: Account | undefined,
  groups: Map<string, number>,
  serviceInstalled: boolean,
): DoctorCheck {
  if (!account)
    return serviceInstalled
      ? fail('user', 'the service user outpost does not exist', 'sudo ./scripts/setup-station.sh creates it')
      : warn(
          'user',
          'no outpost user: the station runs as whoever starts it',
          'sudo ./scripts/setup-station.sh installs the service and its user',
        );
  const wanted = ['disk', 'video', 'gpio'].filter((g) => groups.has(g));
  const missing = wanted.filter(
    (g) => !account.groups.includes(groups.get(g)!) && account.gid !== groups.get(g),
  );
  const has = wanted.filter((g) => !missing.includes(g));
  const msg = `user ${account.name} (uid ${account.uid})${has.length ? `, groups ${has.join(', ')}` : ''}`;
  return missing.length
    ? warn(
        'user',
        `${msg}; not in ${missing.join(', ')}`,
        `sudo usermod -aG ${missing.join(',')} ${account.name}`,
      )
    : ok('user', msg);
}

/** What `systemctl is-enabled` / `is-active` said, or that systemd is not running. */
export type ServiceState = { systemd: false } | { systemd: true; enabled: string; active: string };

export function checkService(s: ServiceState): DoctorCheck {
  if (!s.systemd)
    return warn(
      'service',
      'systemd is not running on this machine (a container or chroot?): nothing starts the station at boot',
      'run the station by hand (`outpost station`), or install on a machine booted with systemd',
    );
  if (s.enabled === 'not-found' || s.enabled === '')
    return fail('service', 'the outpost service is not installed', 'sudo ./scripts/setup-station.sh');
  const state = `${s.enabled}, ${s.active}`;
  if (s.active === 'failed')
    return fail(
      'service',
      `outpost.service ${state}`,
      'see why: outpost service logs; then sudo systemctl restart outpost',
    );
  if (s.active !== 'active' && s.active !== 'activating' && s.active !== 'reloading')
    return warn('service', `outpost.service ${state}`, 'sudo systemctl enable --now outpost');
  if (s.enabled !== 'enabled')
    return warn(
      'service',
      `outpost.service ${state}: it will not start at boot`,
      'sudo systemctl enable outpost',
    );
  return ok('service', `outpost.service ${state}`);
}
