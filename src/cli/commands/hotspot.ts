import { hostname } from 'node:os';
import type { Command } from 'commander';
import { OutpostError } from '../../core/errors.js';
import {
  HOTSPOT_CONNECTION,
  generatePassword,
  hotspotOff,
  hotspotOn,
  hotspotStatus,
  type HotspotStatus,
} from '../../devices/hotspot.js';
import { buildContext } from '../context.js';
import { emit } from '../output.js';
import { run } from '../run.js';

function human(s: HotspotStatus, port: number, password?: string): string {
  if (!s.configured) return `hotspot: not set up (\`sudo outpost hotspot on\` creates it)`;
  const lines = [
    `hotspot: ${s.active ? 'on' : 'off'}${s.autoconnect ? ' (comes up at boot)' : ''}`,
    `  network: ${s.ssid ?? '?'} on ${s.ifname ?? '?'}`,
  ];
  if (password) lines.push(`  password: ${password}   (write it down: it is not shown again)`);
  if (s.active)
    lines.push(
      `  tablets: join "${s.ssid ?? ''}", then open http://${hostname()}.local:${port} or http://${s.address}:${port}`,
    );
  return lines.join('\n');
}

export function registerHotspot(program: Command): void {
  const hs = program
    .command('hotspot')
    .description("the station's own Wi-Fi network for tablets, when the office has none (NetworkManager)");
  hs.command('on')
    .description(
      `make Wi-Fi an access point (saved as NetworkManager connection ${HOTSPOT_CONNECTION}; back at boot)`,
    )
    .option('--ssid <name>', 'network name (default: Outpost-<host name>, or the saved one)')
    .option(
      '--password <password>',
      'WPA2 password, 8-63 characters (default: the saved one; a new hotspot gets one made up)',
    )
    .option('--ifname <interface>', 'Wi-Fi interface', 'wlan0')
    .option('--band <band>', 'bg (2.4 GHz: range, every tablet) or a (5 GHz)', 'bg')
    .option('--json', 'JSON output')
    .action(
      (o: { ssid?: string; password?: string; ifname: string; band: string; json?: boolean }, cmd: Command) =>
        run(cmd, !!o.json, async () => {
          const ctx = await buildContext(cmd.optsWithGlobals());
          if (o.band !== 'bg' && o.band !== 'a') throw new OutpostError('USAGE', '--band is bg or a');
          const before = await hotspotStatus(ctx.runner);
          const made = !before.configured && o.password === undefined ? generatePassword() : undefined;
          const s = await hotspotOn(ctx.runner, {
            ssid: o.ssid ?? before.ssid ?? `Outpost-${hostname()}`.slice(0, 32),
            password: o.password ?? made,
            ifname: o.ifname,
            band: o.band,
          });
          emit(!!o.json, { ...s, ...(made ? { password: made } : {}) }, () =>
            human(s, ctx.config.server.port, made),
          );
        }),
    );
  hs.command('off')
    .description('stop the hotspot (and not at boot); Wi-Fi can join a network again')
    .option('--json', 'JSON output')
    .action((o: { json?: boolean }, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        const s = await hotspotOff(ctx.runner);
        emit(!!o.json, s, () => human(s, ctx.config.server.port));
      }),
    );
  hs.command('status')
    .description('is the hotspot on, its network name, where tablets find the station')
    .option('--json', 'JSON output')
    .action((o: { json?: boolean }, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        const ctx = await buildContext(cmd.optsWithGlobals());
        const s = await hotspotStatus(ctx.runner);
        emit(!!o.json, s, () => human(s, ctx.config.server.port));
      }),
    );
}
