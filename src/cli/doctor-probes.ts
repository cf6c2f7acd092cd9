/**
 * What `outpost doctor` looks at on this machine: programs, the config, the service, the user and
 * its groups, LEDs, the clock, the library drive and the mount root. Each probe turns what it
 * finds into a check (verdicts in src/core/doctor.ts); a probe that breaks becomes a failed check,
 * never a crash, so one problem does not hide the others.
 */
import { constants } from 'node:fs';
import { access, readFile, stat, statfs } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { readProcessCapabilities, hasCapability } from '../adapters/capabilities.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import { DEFAULT_CONFIG_PATH, loadConfig, parseConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import {
  accountFrom,
  canAccess,
  checkClock,
  checkLibrarySpace,
  checkNode,
  checkService,
  checkServiceUser,
  checkTool,
  groupIds,
  type Account,
  type DoctorCheck,
  type ServiceState,
} from '../core/doctor.js';
import { errnoCode, isOutpostError } from '../core/errors.js';
import { DRIVE_MARKER } from '../library/layout.js';
import { readStatusFile } from '../station/status-file.js';

/** The station's status file older than this: it is not running (as `outpost status` decides). */
const STATUS_STALE_MS = 10_000;
const TOOL_TIMEOUT_MS = 10_000;
export const SERVICE_USER = 'outpost';
/** Where install-station.sh puts the unit (and where an admin's own copy would be). */
const UNIT_FILES = ['/usr/local/lib/systemd/system/outpost.service', '/etc/systemd/system/outpost.service'];

export interface DoctorDeps {
  runner: ProcessRunner;
  /** --config or $OUTPOST_CONFIG; undefined: the default path (missing there means defaults). */
  configPath: string | undefined;
  now: () => number;
  buildTimeMs: () => number;
  nodeVersion: string;
  /** Present when systemd runs this machine. */
  systemdDir?: string;
  /** Where passwd and group are read. */
  etcDir?: string;
}

type Probe = () => Promise<DoctorCheck | DoctorCheck[] | undefined>;

const exists = (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  );

/** A program on the PATH, as the shell would find it. */
async function which(cmd: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    if (
      await access(p, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return p;
  }
  return undefined;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export async function runDoctorChecks(deps: DoctorDeps): Promise<DoctorCheck[]> {
  const { runner } = deps;
  const etc = deps.etcDir ?? '/etc';
  const tool = async (cmd: string, args: string[]): Promise<{ code: number | null; out: string }> => {
    const r = await runner.run(cmd, args, { timeoutMs: TOOL_TIMEOUT_MS });
    return { code: r.code, out: r.stdout.toString('utf8').trim() };
  };
  const version = async (cmd: string, args: string[], pick: (out: string) => string) => {
    if (!(await which(cmd))) return undefined;
    const r = await tool(cmd, args).catch(() => undefined);
    return { version: r && r.code === 0 ? pick(r.out) : undefined };
  };

  // Shared facts, found once.
  let config: Config = parseConfig({}, 'defaults');
  const configFile = deps.configPath ?? DEFAULT_CONFIG_PATH;
  const passwd = await readFile(join(etc, 'passwd'), 'utf8').catch(() => '');
  const group = await readFile(join(etc, 'group'), 'utf8').catch(() => '');
  const serviceAccount = accountFrom(passwd, group, SERVICE_USER);
  const me: Account = {
    name: userInfo().username,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    groups: process.getgroups?.() ?? [],
  };
  /** Whose access matters: the service user when there is one, else whoever runs the station by hand. */
  const account = serviceAccount ?? me;
  const systemd = await exists(deps.systemdDir ?? '/run/systemd/system');
  let service: ServiceState = { systemd: false };
  let mainPid = 0;
  if (systemd) {
    const enabled = await tool('systemctl', ['is-enabled', 'outpost']).catch(() => ({ out: '' }));
    const active = await tool('systemctl', ['is-active', 'outpost']).catch(() => ({ out: 'unknown' }));
    service = {
      systemd: true,
      enabled: enabled.out.split('\n')[0] ?? '',
      active: active.out.split('\n')[0] ?? '',
    };
    const pid = await tool('systemctl', ['show', '-p', 'MainPID', '--value', 'outpost']).catch(
      () => undefined,
    );
    mainPid = Number(pid?.out) || 0;
  }
  const serviceInstalled =
    (service.systemd && service.enabled !== '' && service.enabled !== 'not-found') ||
    (await Promise.all(UNIT_FILES.map(exists))).some(Boolean);
  const serviceActive = service.systemd && service.active === 'active';

  const probes: Probe[] = [
    async () => checkNode(deps.nodeVersion),
    async () => {
      const failed: string[] = [];
      let vips = '';
      try {
        const { default: Database } = await import('better-sqlite3');
        new Database(':memory:').close();
      } catch (e) {
        failed.push(`better-sqlite3 (${message(e).split('\n')[0]})`);
      }
      try {
        const { default: sharp } = await import('sharp');
        vips = sharp.versions.vips;
      } catch (e) {
        failed.push(`sharp (${message(e).split('\n')[0]})`);
      }
      return failed.length
        ? {
            id: 'native-modules',
            status: 'fail',
            message: `cannot load ${failed.join(', ')}`,
            fix: 'they are built for another Node.js: run sudo ./scripts/setup-station.sh again',
          }
        : { id: 'native-modules', status: 'ok', message: `better-sqlite3 and sharp load (libvips ${vips})` };
    },
    async () => {
      const firstLine = (o: string) => o.split('\n')[0]!.replace(/ Copyright.*$/, '');
      return [
        checkTool(
          'ffmpeg',
          await version('ffmpeg', ['-hide_banner', '-version'], firstLine),
          'ffmpeg',
          'video posters, recordings, live view',
          true,
        ),
        checkTool(
          'ffprobe',
          await version('ffprobe', ['-hide_banner', '-version'], firstLine),
          'ffmpeg',
          'video and audio metadata',
          true,
        ),
        checkTool(
          'exiftool',
          await version('exiftool', ['-ver'], (o) => `exiftool ${o}`),
          'libimage-exiftool-perl',
          'XMP sidecars and camera metadata',
          true,
        ),
        checkTool(
          'heif-convert',
          (await which('heif-convert')) ? {} : undefined,
          'libheif-examples',
          'HEIC photos get no thumbnails',
          false,
        ),
      ];
    },
    async () => {
      try {
        config = await loadConfig(deps.configPath);
      } catch (e) {
        const denied = /EACCES|permission denied/i.test(message(e));
        return {
          id: 'config',
          status: 'fail',
          message: message(e).replace(/\n\s*/g, '; '),
          fix: denied
            ? 'run it as root (sudo outpost doctor), or add yourself to group outpost'
            : isOutpostError(e)
              ? e.hint
              : `fix ${configFile}`,
        };
      }
      const st = await stat(configFile).catch(() => undefined);
      if (!st) return { id: 'config', status: 'ok', message: `no ${configFile}: every key has its default` };
      if (serviceAccount && !canAccess(st, serviceAccount, { read: true }))
        return {
          id: 'config',
          status: 'fail',
          message: `${configFile} is valid but the service user ${SERVICE_USER} cannot read it`,
          fix: `sudo chgrp ${SERVICE_USER} ${configFile} && sudo chmod g+r ${configFile}`,
        };
      return { id: 'config', status: 'ok', message: `${configFile} is valid` };
    },
    async () => checkService(service),
    async () => {
      // What the running service may do: mount (CAP_SYS_ADMIN) and set the clock (CAP_SYS_TIME).
      if (!mainPid) return undefined;
      const caps = await readProcessCapabilities(mainPid);
      if (!caps) return undefined;
      const root = caps.uid === 0;
      const mount = root || hasCapability(caps.effective, 'CAP_SYS_ADMIN');
      const clock = root || hasCapability(caps.effective, 'CAP_SYS_TIME');
      const who = root ? 'root' : `uid ${caps.uid}`;
      if (!mount && config.station.devices.manage)
        return {
          id: 'privileges',
          status: 'fail',
          message: `the service (pid ${mainPid}, ${who}) lacks CAP_SYS_ADMIN: it cannot mount cards and drives`,
          fix: 'the unit needs AmbientCapabilities=CAP_SYS_ADMIN CAP_SYS_TIME (see `systemctl cat outpost`); re-run setup-station.sh',
        };
      return {
        id: 'privileges',
        status: clock ? 'ok' : 'warn',
        message: `the service (pid ${mainPid}, ${who}) may mount${clock ? ' and set the clock' : ', but not set the clock'}`,
        ...(clock ? {} : { fix: 'the unit needs AmbientCapabilities=CAP_SYS_ADMIN CAP_SYS_TIME' }),
      };
    },
    async () => checkServiceUser(serviceAccount, groupIds(group), serviceInstalled),
    async () => {
      const ind = config.indicators;
      if (ind.driver === 'virtual' || ind.driver === 'none')
        return {
          id: 'leds',
          status: 'ok',
          message: `LEDs: ${ind.driver === 'virtual' ? 'virtual (the web app and `outpost status` show them)' : 'off'}`,
        };
      const names = Object.values(ind.leds).flatMap((p) => [p.green, p.red]);
      if (ind.driver === 'gpiod') {
        if (!(await which('gpioset')))
          return {
            id: 'leds',
            status: 'fail',
            message: 'indicators.driver is gpiod but gpioset is not installed',
            fix: 'sudo apt-get install gpiod',
          };
        const chip = `/dev/${ind.gpiochip}`;
        const st = await stat(chip).catch(() => undefined);
        if (!st)
          return {
            id: 'leds',
            status: 'fail',
            message: `${chip} does not exist`,
            fix: 'list the chips with `gpiodetect` and set indicators.gpiochip',
          };
        if (!canAccess(st, account, { read: true, write: true }))
          return {
            id: 'leds',
            status: 'fail',
            message: `${account.name} cannot use ${chip}`,
            fix: `sudo usermod -aG ${[...groupIds(group)].find(([, id]) => id === st.gid)?.[0] ?? 'gpio'} ${account.name}`,
          };
        return { id: 'leds', status: 'ok', message: `gpiod on ${chip}: ${names.length} LEDs` };
      }
      const missing: string[] = [];
      const unwritable: string[] = [];
      for (const led of names) {
        const dir = join(ind.sysfsRoot, led);
        if (!(await exists(dir))) {
          missing.push(led);
          continue;
        }
        for (const f of ['brightness', 'trigger']) {
          const st = await stat(join(dir, f)).catch(() => undefined);
          if (!st || !canAccess(st, account, { write: true })) unwritable.push(`${led}/${f}`);
        }
      }
      if (unwritable.length)
        return {
          id: 'leds',
          status: 'fail',
          message: `${account.name} cannot write ${unwritable.slice(0, 4).join(', ')}${unwritable.length > 4 ? ` and ${unwritable.length - 4} more` : ''}`,
          fix: 'the udev rule /etc/udev/rules.d/99-outpost.rules (setup-station.sh installs it), then: sudo udevadm trigger --action=change --subsystem-match=leds',
        };
      if (missing.length)
        return {
          id: 'leds',
          status: 'warn',
          message: `${missing.length} of ${names.length} LEDs missing in ${ind.sysfsRoot}: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? '…' : ''}`,
          fix: 'declare them with dtoverlay=gpio-led in /boot/firmware/config.txt and reboot (README, Hardware)',
        };
      return {
        id: 'leds',
        status: 'ok',
        message: `${names.length} LEDs in ${ind.sysfsRoot}, writable by ${account.name}`,
      };
    },
    async () => {
      let ntp: boolean | null = null;
      if (systemd) {
        const r = await tool('timedatectl', ['show', '-p', 'NTPSynchronized', '--value']).catch(
          () => undefined,
        );
        if (r?.code === 0) ntp = r.out === 'yes';
      }
      return checkClock(deps.now(), deps.buildTimeMs(), ntp);
    },
    async () => {
      // The drive the running station uses, else the configured one.
      const status = await readStatusFile(config.station.statusFile);
      const fresh = status && deps.now() - Date.parse(status.time) < STATUS_STALE_MS;
      let drive = fresh && status.library ? status.library : undefined;
      if (!drive && config.library) {
        const marker = await readFile(join(config.library, DRIVE_MARKER), 'utf8').catch(() => undefined);
        if (marker === undefined)
          return {
            id: 'library',
            status: 'fail',
            message: `library ${config.library} (config) is not a library drive, or not mounted`,
            fix: 'plug the drive in, or fix `library:` in the config (or remove it: the station takes the first library drive it finds)',
          };
        const label = (JSON.parse(marker) as { label?: string }).label ?? config.library;
        drive = { label, root: config.library };
      }
      const space = drive
        ? await statfs(drive.root)
            .then((s) => ({ freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize }))
            .catch(() => undefined)
        : undefined;
      const checks = [checkLibrarySpace(drive, space, config.drives.health)];
      if (drive) {
        const dir = join(drive.root, '.outpost');
        const st = await stat(dir).catch(() => undefined);
        if (st && !canAccess(st, account, { read: true, write: true, exec: true }))
          checks.push({
            id: 'library-access',
            status: 'fail',
            message: `${account.name} cannot write ${dir} (owner uid ${st.uid}, mode ${(st.mode & 0o777).toString(8)})`,
            fix: `sudo chown -R ${account.name}: ${drive.root}   (an ext4 drive made or used as root)`,
          });
        else if (st)
          checks.push({ id: 'library-access', status: 'ok', message: `${account.name} can write ${dir}` });
      }
      return checks;
    },
    async () => {
      const dev = config.station.devices;
      const roots = config.station.watchRoots.join(', ');
      if (!dev.manage)
        return {
          id: 'mounts',
          status: 'ok',
          message: `the station does not mount devices itself (station.devices.manage: false); it watches ${roots}`,
        };
      const missingTools = [];
      for (const t of ['mount', 'umount', 'blkid']) if (!(await which(t))) missingTools.push(t);
      if (missingTools.length)
        return {
          id: 'mounts',
          status: 'fail',
          message: `${missingTools.join(', ')} not installed: the station cannot mount cards and drives`,
          fix: 'sudo apt-get install mount util-linux',
        };
      const st = await stat(dev.mountRoot).catch((e: unknown) => errnoCode(e) ?? 'error');
      if (typeof st === 'string')
        return serviceActive || !serviceInstalled
          ? {
              id: 'mounts',
              status: serviceActive ? 'fail' : 'warn',
              message: `mount root ${dev.mountRoot} does not exist`,
              fix: serviceActive
                ? 'the unit makes it (RuntimeDirectory=outpost outpost/media): sudo systemctl restart outpost'
                : `the station makes it when it starts; or: sudo install -d -o ${account.name} ${dev.mountRoot}`,
            }
          : {
              id: 'mounts',
              status: 'ok',
              message: `mount root ${dev.mountRoot}: made when the service starts`,
            };
      if (!st.isDirectory() || !canAccess(st, account, { read: true, write: true, exec: true }))
        return {
          id: 'mounts',
          status: 'fail',
          message: `mount root ${dev.mountRoot} is not a directory ${account.name} can write`,
          fix: `sudo chown ${account.name}: ${dev.mountRoot}`,
        };
      return {
        id: 'mounts',
        status: 'ok',
        message: `mount root ${dev.mountRoot}, writable by ${account.name}; also watching ${roots}`,
      };
    },
  ];

  const out: DoctorCheck[] = [];
  const ids = [
    'node',
    'native-modules',
    'tools',
    'config',
    'service',
    'privileges',
    'user',
    'leds',
    'clock',
    'library',
    'mounts',
  ];
  for (const [i, probe] of probes.entries()) {
    try {
      const r = await probe();
      if (r) out.push(...(Array.isArray(r) ? r : [r]));
    } catch (e) {
      out.push({
        id: ids[i] ?? 'check',
        status: 'fail',
        message: `could not check: ${message(e)}`,
        fix: 'see the message',
      });
    }
  }
  return out;
}
