import { Command } from 'commander';
import { commandToLoad } from './command-name.js';

type Register = (program: Command) => void;

/**
 * Every command, in help order, and how to load it. Only the command being run is loaded: the
 * CLI then parses a fraction of its code (`outpost ingest` skips the web server, HQ and the
 * recorder), which is most of its start-up time on a Pi. Help and unknown names load them all.
 */
const COMMANDS: ReadonlyArray<readonly [string[], () => Promise<Register>]> = [
  [['init-drive'], async () => (await import('./commands/init-drive.js')).registerInitDrive],
  [['ingest'], async () => (await import('./commands/ingest.js')).registerIngest],
  [['ls'], async () => (await import('./commands/ls.js')).registerLs],
  [['cards'], async () => (await import('./commands/cards.js')).registerCards],
  [['similar'], async () => (await import('./commands/similar.js')).registerSimilar],
  [['fsck'], async () => (await import('./commands/fsck.js')).registerFsck],
  [['rebuild'], async () => (await import('./commands/rebuild.js')).registerRebuild],
  [['videos'], async () => (await import('./commands/videos.js')).registerVideos],
  [['shift-time'], async () => (await import('./commands/shift-time.js')).registerShiftTime],
  [['record'], async () => (await import('./commands/record.js')).registerRecord],
  [['timelapse'], async () => (await import('./commands/timelapse.js')).registerTimelapse],
  [['export'], async () => (await import('./commands/export.js')).registerExport],
  [['edit'], async () => (await import('./commands/edit.js')).registerEdit],
  [['mirror'], async () => (await import('./commands/mirror.js')).registerMirror],
  [['scrub'], async () => (await import('./commands/scrub.js')).registerScrub],
  [['station'], async () => (await import('./commands/station.js')).registerStation],
  [['user'], async () => (await import('./commands/user.js')).registerUser],
  [['hq'], async () => (await import('./commands/hq.js')).registerHq],
  [['uplink', 'uplink-status'], async () => (await import('./commands/uplink.js')).registerUplink],
  [['pull'], async () => (await import('./commands/pull.js')).registerPull],
  [['status'], async () => (await import('./commands/status.js')).registerStatus],
  [['service'], async () => (await import('./commands/service.js')).registerService],
  [['doctor'], async () => (await import('./commands/doctor.js')).registerDoctor],
  [['eject'], async () => (await import('./commands/eject.js')).registerEject],
  [['hotspot'], async () => (await import('./commands/hotspot.js')).registerHotspot],
  [['map'], async () => (await import('./commands/map.js')).registerMap],
  [['fleet'], async () => (await import('./commands/fleet.js')).registerFleet],
];

const program = new Command()
  .name('outpost')
  .description('Outpost: field media station — card ingest, library drives, uplink to HQ')
  .version('0.1.0')
  .option('-c, --config <file>', 'config file (default: $OUTPOST_CONFIG or /etc/outpost/config.yaml)')
  .option('--log-level <level>', 'trace, debug, info, warn, error or silent')
  .showHelpAfterError()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

const wanted = commandToLoad(process.argv.slice(2), ['--config', '-c', '--log-level']);
const one = COMMANDS.find(([names]) => wanted !== undefined && names.includes(wanted));
const versionOnly =
  wanted === undefined && process.argv.slice(2).some((a) => a === '--version' || a === '-V');
const toLoad = one ? [one] : versionOnly ? [] : COMMANDS;
const registers = await Promise.all(toLoad.map(([, load]) => load()));
for (const register of registers) register(program);

program.exitOverride((err) => {
  process.exit(err.exitCode === 0 ? 0 : 2);
});

await program.parseAsync(process.argv);
