/**
 * Running a heavy job (an encode) at the lowest CPU and I/O priority: `nice -n 19` and `ionice -c 3`
 * in front of the command, each only where it exists and works here.
 */
import type { ProcessRunner } from './process-runner.js';

/** The command that runs `cmd args` at idle CPU and I/O priority, with whichever tools exist. */
export function lowPriorityCommand(
  cmd: string,
  args: readonly string[],
  tools: { nice: boolean; ionice: boolean },
): { cmd: string; args: string[] } {
  const prefix = [
    ...(tools.nice ? ['nice', '-n', '19'] : []),
    ...(tools.ionice ? ['ionice', '-c', '3'] : []),
  ];
  const [first, ...rest] = [...prefix, cmd, ...args];
  return { cmd: first!, args: rest };
}

/** Whether `nice` and `ionice` exist and work here (ionice's idle class may be refused in a container). */
export async function lowPriorityTools(runner: ProcessRunner): Promise<{ nice: boolean; ionice: boolean }> {
  const works = async (cmd: string, args: string[]): Promise<boolean> => {
    try {
      return (await runner.run(cmd, args, { timeoutMs: 5000 })).code === 0;
    } catch {
      return false;
    }
  };
  const [nice, ionice] = await Promise.all([
    works('nice', ['-n', '19', 'true']),
    works('ionice', ['-c', '3', 'true']),
  ]);
  return { nice, ionice };
}
