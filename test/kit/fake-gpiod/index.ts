/**
 * The fake GPIO device of the TTL tests: fake `gpioset`, `gpiomon` and `gpioinfo` first on PATH
 * (fake-gpiod.mjs), a state directory, and helpers to raise input edges and read the output levels.
 */
import { existsSync } from 'node:fs';
import { appendFile, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The device script: beside this file, or (compiled to dist/test/kit/…) in the source tree. */
const script = [
  join(here, 'fake-gpiod.mjs'),
  join(here, '..', '..', '..', '..', 'test', 'kit', 'fake-gpiod', 'fake-gpiod.mjs'),
].find((p) => existsSync(p));
if (!script) throw new Error(`fake-gpiod.mjs not found from ${here}`);

export interface FakeGpiod {
  dir: string;
  /** Prepend to PATH (and set the env) for the code under test; `restore` undoes it. */
  restore(): void;
  /** Raise an edge on an input line, stamped `atMs` (wall clock) like the kernel would. */
  edge(line: number, edge: 'rising' | 'falling', atMs: number): Promise<void>;
  /** Every level an output line was driven to. */
  levels(): Promise<{ atMs: number; line: number; value: number }[]>;
  argv(): Promise<string[]>;
}

export async function installFakeGpiod(
  base: string,
  o: { version: 1 | 2; interactive?: boolean },
): Promise<FakeGpiod> {
  const dir = join(base, 'gpio');
  const bin = join(base, 'gpio-bin');
  await mkdir(dir, { recursive: true });
  await mkdir(bin, { recursive: true });
  for (const tool of ['gpioset', 'gpiomon', 'gpioinfo']) {
    await writeFile(join(bin, tool), `#!/bin/sh\nexec ${process.execPath} ${script} ${tool} "$@"\n`);
    await chmod(join(bin, tool), 0o755);
  }
  const old = {
    PATH: process.env.PATH,
    d: process.env.FAKE_GPIO_DIR,
    v: process.env.FAKE_GPIO_VERSION,
    i: process.env.FAKE_GPIO_INTERACTIVE,
  };
  process.env.PATH = `${bin}:${process.env.PATH ?? ''}`;
  process.env.FAKE_GPIO_DIR = dir;
  process.env.FAKE_GPIO_VERSION = String(o.version);
  process.env.FAKE_GPIO_INTERACTIVE = o.interactive === false ? '0' : '1';
  const set = (k: string, v: string | undefined): void => {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  };
  return {
    dir,
    restore() {
      set('PATH', old.PATH);
      set('FAKE_GPIO_DIR', old.d);
      set('FAKE_GPIO_VERSION', old.v);
      set('FAKE_GPIO_INTERACTIVE', old.i);
    },
    async edge(line, edge, atMs) {
      const ns = BigInt(Math.round(atMs * 1000)) * 1000n;
      await appendFile(join(dir, 'edges.in'), `${line} ${edge} ${ns}\n`);
    },
    async levels() {
      const text = await readFile(join(dir, 'levels.log'), 'utf8').catch(() => '');
      return text
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [a, b, c] = l.split(' ');
          return { atMs: Number(a), line: Number(b), value: Number(c) };
        });
    },
    async argv() {
      return (await readFile(join(dir, 'argv.log'), 'utf8').catch(() => '')).trim().split('\n');
    },
  };
}
