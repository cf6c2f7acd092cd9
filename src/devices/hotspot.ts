/**
 * Hotspot mode: the station's Wi-Fi becomes an access point tablets join directly, for offices
 * with no Wi-Fi of their own. NetworkManager (Raspberry Pi OS Bookworm and later) does the work
 * through `nmcli`: one saved connection, `outpost-hotspot`, shared IPv4 (NetworkManager runs DHCP
 * and DNS for the tablets; the station is 10.42.0.1), WPA2. Trade-offs in the README ("No office
 * Wi-Fi: hotspot mode").
 *
 * The command lines are pure functions (unit-tested); running them goes through the process runner.
 */
import { randomInt } from 'node:crypto';
import type { ProcessRunner, RunResult } from '../adapters/process-runner.js';
import { OutpostError, isOutpostError } from '../core/errors.js';

/** The saved NetworkManager connection the station owns. */
export const HOTSPOT_CONNECTION = 'outpost-hotspot';
/** NetworkManager's address for the machine on a shared connection (its default 10.42.0.0/24). */
export const HOTSPOT_ADDRESS = '10.42.0.1';

export interface HotspotSettings {
  ssid: string;
  /** Needed for a new connection; unset keeps the saved one's. */
  password?: string | undefined;
  /** The Wi-Fi interface (wlan0 on a Raspberry Pi). */
  ifname: string;
  /** bg: 2.4 GHz (range, every tablet); a: 5 GHz (faster, shorter range, not every country's channels). */
  band: 'bg' | 'a';
}

/** WPA2-PSK: 8 to 63 printable ASCII characters. */
export function passwordProblem(p: string): string | undefined {
  if (p.length < 8 || p.length > 63) return 'the password must be 8 to 63 characters (WPA2)';
  if (!/^[\x20-\x7e]+$/.test(p)) return 'the password may use printable ASCII characters only';
  return undefined;
}

/** An SSID is at most 32 bytes. */
export function ssidProblem(s: string): string | undefined {
  const n = Buffer.byteLength(s, 'utf8');
  if (n < 1 || n > 32) return 'the network name (SSID) must be 1 to 32 bytes';
  return undefined;
}

/** A password people can read out and type on a tablet: no 0/O, 1/l/I. */
export function generatePassword(length = 12): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

/** The settings of the connection (same for a new one and for changing the saved one). */
function settingArgs(s: HotspotSettings): string[] {
  return [
    'connection.interface-name',
    s.ifname,
    'connection.autoconnect',
    'yes',
    '802-11-wireless.ssid',
    s.ssid,
    '802-11-wireless.mode',
    'ap',
    '802-11-wireless.band',
    s.band,
    'ipv4.method',
    'shared',
    'ipv6.method',
    'ignore',
    // WPA2 with AES only: what the Raspberry Pi's brcmfmac firmware serves reliably.
    'wifi-sec.key-mgmt',
    'wpa-psk',
    'wifi-sec.proto',
    'rsn',
    'wifi-sec.pairwise',
    'ccmp',
    'wifi-sec.group',
    'ccmp',
    ...(s.password !== undefined ? ['wifi-sec.psk', s.password] : []),
  ];
}

/** `nmcli connection add …` for a new hotspot connection. */
export function hotspotAddArgs(s: HotspotSettings): string[] {
  return ['connection', 'add', 'type', 'wifi', 'con-name', HOTSPOT_CONNECTION, ...settingArgs(s)];
}

/** `nmcli connection modify …` for the saved one. */
export function hotspotModifyArgs(s: HotspotSettings): string[] {
  return ['connection', 'modify', HOTSPOT_CONNECTION, ...settingArgs(s)];
}

export const hotspotUpArgs = (): string[] => ['connection', 'up', HOTSPOT_CONNECTION];
/** Down, and not back at the next boot. */
export const hotspotDownArgs = (): string[] => ['connection', 'down', HOTSPOT_CONNECTION];
export const hotspotNoAutoconnectArgs = (): string[] => [
  'connection',
  'modify',
  HOTSPOT_CONNECTION,
  'connection.autoconnect',
  'no',
];
/** The saved connection's SSID, interface and autoconnect, terse (`-t`) and values only (`-g`). */
export const hotspotShowArgs = (): string[] => [
  '-t',
  '-g',
  '802-11-wireless.ssid,connection.interface-name,connection.autoconnect,GENERAL.STATE',
  'connection',
  'show',
  HOTSPOT_CONNECTION,
];
/** Saved connections, to tell "never set up" from "set up". */
export const connectionNamesArgs = (): string[] => ['-t', '-g', 'NAME', 'connection', 'show'];

/** Split one line of `nmcli -t` output: fields separated by `:`, with `\:` and `\\` escaped. */
export function splitTerse(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) cur += line[++i];
    else if (c === ':') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export interface HotspotStatus {
  /** The connection exists (was set up). */
  configured: boolean;
  /** It is up now. */
  active: boolean;
  ssid: string | null;
  ifname: string | null;
  /** It comes up at boot. */
  autoconnect: boolean;
  /** Where tablets on the hotspot find the station. */
  address: string | null;
}

/** `nmcli -t -g … connection show outpost-hotspot` → status (one value per line). */
export function parseHotspotShow(text: string): Omit<HotspotStatus, 'configured' | 'address'> {
  const [ssid = '', ifname = '', autoconnect = '', state = ''] = text
    .split('\n')
    .map((l) => splitTerse(l)[0] ?? '');
  return {
    ssid: ssid || null,
    ifname: ifname || null,
    autoconnect: autoconnect === 'yes',
    active: state.trim() === 'activated',
  };
}

async function nmcli(runner: ProcessRunner, args: string[]): Promise<RunResult> {
  let r: RunResult;
  try {
    r = await runner.run('nmcli', args, { timeoutMs: 60_000 });
  } catch (e) {
    if (isOutpostError(e) && e.code === 'TOOL_MISSING')
      throw new OutpostError('TOOL_MISSING', 'nmcli (NetworkManager) is not installed', {
        hint: 'Hotspot mode needs NetworkManager (Raspberry Pi OS Bookworm or later has it; `sudo apt-get install network-manager`).',
        cause: e,
      });
    throw e;
  }
  if (r.code !== 0) {
    // Never echo the command line: it holds the password.
    const words = r.stderr.trim().split('\n').pop() || `exit ${r.code}`;
    throw new OutpostError('SYSTEM_COMMAND_FAILED', `nmcli ${args.slice(0, 2).join(' ')}: ${words}`, {
      hint: 'Run it as root (sudo), check the Wi-Fi interface (`nmcli device`), and that Wi-Fi is not blocked (`rfkill list`).',
    });
  }
  return r;
}

export async function hotspotStatus(runner: ProcessRunner): Promise<HotspotStatus> {
  const names = (await nmcli(runner, connectionNamesArgs())).stdout.toString('utf8').split('\n');
  if (!names.map((n) => splitTerse(n)[0]).includes(HOTSPOT_CONNECTION))
    return { configured: false, active: false, ssid: null, ifname: null, autoconnect: false, address: null };
  const s = parseHotspotShow((await nmcli(runner, hotspotShowArgs())).stdout.toString('utf8'));
  return { configured: true, ...s, address: s.active ? HOTSPOT_ADDRESS : null };
}

/** Create or update the connection, bring it up; it comes back at boot. */
export async function hotspotOn(runner: ProcessRunner, s: HotspotSettings): Promise<HotspotStatus> {
  const problem = ssidProblem(s.ssid) ?? (s.password !== undefined ? passwordProblem(s.password) : undefined);
  if (problem) throw new OutpostError('INVALID_INPUT', problem);
  const before = await hotspotStatus(runner);
  if (!before.configured && s.password === undefined)
    throw new OutpostError('INVALID_INPUT', 'a new hotspot needs a password (--password)');
  await nmcli(runner, before.configured ? hotspotModifyArgs(s) : hotspotAddArgs(s));
  await nmcli(runner, hotspotUpArgs());
  return hotspotStatus(runner);
}

/** Down, and not at the next boot (the saved settings stay for `hotspot on`). */
export async function hotspotOff(runner: ProcessRunner): Promise<HotspotStatus> {
  const before = await hotspotStatus(runner);
  if (!before.configured) return before;
  await nmcli(runner, hotspotNoAutoconnectArgs());
  if (before.active) await nmcli(runner, hotspotDownArgs());
  return hotspotStatus(runner);
}
