/** An item's id is the lowercase hex SHA-256 of its bytes. */
export type ContentId = string;

const SHA256_RE = /^[0-9a-f]{64}$/;

/** Not a type guard: ContentId is a plain string, and a guard would narrow the false branch to never. */
export function isContentId(s: unknown): boolean {
  return typeof s === 'string' && SHA256_RE.test(s);
}

/** Two-hex shard folder used under `.outpost/derived/`. */
export function shardOf(id: ContentId): string {
  return id.slice(0, 2);
}
