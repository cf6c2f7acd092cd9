/**
 * Home Assistant's value templates read against a status payload, without Jinja: the
 * `value_json.a.b` paths a template reads, and the camera it picks with `selectattr`, must be
 * in the payload (a template reading a field the agent does not publish shows nothing in Home
 * Assistant, silently).
 */

/** What `template` reads that `status` does not have (empty: every read is there). */
export function templateProblems(template: string, status: unknown): string[] {
  const problems: string[] = [];
  const at = (path: string[]): { found: boolean; value?: unknown } => {
    let v: unknown = status;
    for (const k of path) {
      if (v === null || typeof v !== 'object' || !(k in v)) return { found: false };
      v = (v as Record<string, unknown>)[k];
    }
    return { found: true, value: v };
  };
  const paths = new Set(
    [...template.matchAll(/value_json((?:\.[A-Za-z_]\w*)+)/g)].map((m) => m[1]!.slice(1)),
  );
  const reads = [...paths].map((p) => p.split('.'));
  if (!reads.length) problems.push('reads nothing from value_json');
  for (const path of reads)
    if (!at(path).found) problems.push(`value_json.${path.join('.')} is not in the status`);
  // A camera picked from a list: `value_json.<list> | default([]) | selectattr('<key>', 'eq', '<name>') | first`,
  // then read as `c.<field>`.
  for (const m of template.matchAll(
    /value_json\.(\w+) \| default\(\[\]\) \| selectattr\('(\w+)', 'eq', '([^']+)'\) \| first/g,
  )) {
    const [, list, key, name] = m as unknown as [string, string, string, string];
    const items = at([list]).value;
    const item = Array.isArray(items)
      ? (items as Record<string, unknown>[]).find((x) => x[key] === name)
      : undefined;
    if (!item) {
      problems.push(`no ${list} item with ${key} "${name}" in the status`);
      continue;
    }
    for (const f of template.matchAll(/\bc\.(\w+)/g))
      if (!(f[1]! in item)) problems.push(`the ${list} item "${name}" has no ${f[1]}`);
  }
  return problems;
}
