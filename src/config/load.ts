import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { OutpostError, errnoCode } from '../core/errors.js';
import { configSchema, type Config } from './schema.js';
import { describeIssues } from '../core/zod-issues.js';

export const DEFAULT_CONFIG_PATH = '/etc/outpost/config.yaml';

export { describeIssues };

/** Validate a parsed config object; throws CONFIG_INVALID listing every bad key at once. */
export function parseConfig(raw: unknown, source: string): Config {
  const res = configSchema.safeParse(raw ?? {});
  if (!res.success) {
    const lines = describeIssues(res.error.issues);
    throw new OutpostError('CONFIG_INVALID', `invalid config in ${source}:\n  ${lines.join('\n  ')}`, {
      details: { source, problems: lines },
    });
  }
  return res.data;
}

/**
 * Load the config file. A missing file at the default path means "embedded defaults";
 * a missing file the user named explicitly is an error.
 */
export async function loadConfig(
  path: string | undefined,
  overrides: Record<string, unknown> = {},
): Promise<Config> {
  const file = path ?? DEFAULT_CONFIG_PATH;
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT' || path !== undefined)
      throw new OutpostError('CONFIG_INVALID', `cannot read config ${file}: ${(e as Error).message}`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length)
    throw new OutpostError(
      'CONFIG_INVALID',
      `config ${file} is not valid YAML:\n  ${doc.errors.map((e) => e.message.split('\n')[0]).join('\n  ')}`,
    );
  const raw = (doc.toJS() as Record<string, unknown> | null) ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new OutpostError('CONFIG_INVALID', `config ${file} must be a mapping of keys`);
  return parseConfig(mergeDeep(raw, overrides), file);
}

function mergeDeep(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
        ? mergeDeep(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}
