/**
 * The subcommand named on a command line: the first word that is not an option or an option's
 * value. `undefined` when there is none (bare `outpost`, `outpost --help`, `outpost --version`).
 */
export function commandToLoad(
  args: readonly string[],
  optionsWithValue: readonly string[],
): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return undefined;
    if (a.startsWith('-')) {
      if (optionsWithValue.includes(a)) i++;
      continue;
    }
    return a;
  }
  return undefined;
}
