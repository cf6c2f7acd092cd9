import type { z } from 'zod';

/** Format zod issues as `path: message` lines, one per bad key (config files, payloads). Pure. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => {
    const path = i.path.map(String).join('.') || '(root)';
    if (i.code === 'unrecognized_keys')
      return `${path}: unknown key(s) ${i.keys.map((k) => `"${k}"`).join(', ')}`;
    return `${path}: ${i.message}`;
  });
}
