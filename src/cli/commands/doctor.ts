import type { Command } from 'commander';
import { buildTimeMs } from '../../adapters/build-time.js';
import { nodeProcessRunner } from '../../adapters/process-runner.js';
import { doctorExitCode, doctorReport, renderDoctor } from '../../core/doctor.js';
import { runDoctorChecks } from '../doctor-probes.js';
import { emit } from '../output.js';
import { run } from '../run.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'check what the station needs (tools, config, service, user, LEDs, clock, free space, mounts) and say what to fix',
    )
    .option('--json', 'JSON output')
    .action((o: { json?: boolean }, cmd: Command) =>
      run(cmd, !!o.json, async () => {
        // Not buildContext: a config that does not load is one of the things to report.
        const g = cmd.optsWithGlobals<{ config?: string }>();
        const checks = await runDoctorChecks({
          runner: nodeProcessRunner,
          configPath: g.config ?? process.env.OUTPOST_CONFIG,
          now: () => Date.now(),
          buildTimeMs,
          nodeVersion: process.version,
        });
        const report = doctorReport(checks);
        emit(!!o.json, report, () => renderDoctor(report, !o.json && !!process.stdout.isTTY));
        return doctorExitCode(report);
      }),
    );
}
