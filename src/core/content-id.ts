/** An item's id is the lowercase hex SHA-256 of its bytes. */
export type ContentId = string;

const SHA256_RE = /^[0-9a-f]{64}$/;

export function isContentId(s: string): s is ContentId {
  return SHA256_RE.test(s);
}

/** Two-hex shard folder used under `.outpost/derived/`. */
export function shardOf(id: ContentId): string {
  return id.slice(0, 2);
}
