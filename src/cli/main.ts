import { Command } from 'commander';
import { registerCards } from './commands/cards.js';
import { registerDoctor } from './commands/doctor.js';
import { registerEject } from './commands/eject.js';
import { registerIngest } from './commands/ingest.js';
import { registerInitDrive } from './commands/init-drive.js';
import { registerLs } from './commands/ls.js';
import { registerMap } from './commands/map.js';
import { registerMirror } from './commands/mirror.js';
import { registerSimilar } from './commands/similar.js';
import { registerFsck } from './commands/fsck.js';
import { registerHotspot } from './commands/hotspot.js';
import { registerHq } from './commands/hq.js';
import { registerRebuild } from './commands/rebuild.js';
import { registerRecord } from './commands/record.js';
import { registerScrub } from './commands/scrub.js';
import { registerService } from './commands/service.js';
import { registerStation } from './commands/station.js';
import { registerStatus } from './commands/status.js';
import { registerUplink } from './commands/uplink.js';
import { registerUser } from './commands/user.js';

const program = new Command()
  .name('outpost')
  .description('Outpost: field media station — card ingest, library drives, uplink to HQ')
  .version('0.1.0')
  .option('-c, --config <file>', 'config file (default: $OUTPOST_CONFIG or /etc/outpost/config.yaml)')
  .option('--log-level <level>', 'trace, debug, info, warn, error or silent')
  .showHelpAfterError()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

registerInitDrive(program);
registerIngest(program);
registerLs(program);
registerCards(program);
registerSimilar(program);
registerFsck(program);
registerRebuild(program);
registerRecord(program);
registerMirror(program);
registerScrub(program);
registerStation(program);
registerUser(program);
registerHq(program);
registerUplink(program);
registerStatus(program);
registerService(program);
registerDoctor(program);
registerEject(program);
registerHotspot(program);
registerMap(program);

program.exitOverride((err) => {
  process.exit(err.exitCode === 0 ? 0 : 2);
});

await program.parseAsync(process.argv);
