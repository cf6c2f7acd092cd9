import type { Op } from '../../core/ops.js';
import { sqliteOf } from './handle.js';
import type { Catalog } from './open.js';

/**
 * Reads of a station's op log in local arrival order (`seq`): the mirror's op exchange and the
 * uplink's push and poll. Station-only and synchronous (SQLite): the uplink polls on every turn
 * and the mirror's no-change pass reads them (bench:mirror).
 */

/** An op as the log stores it: its value still JSON text. */
export type LoggedOp = Omit<Op, 'value'> & { seq: number; value: string };

const OP_COLUMNS = 'seq, hlc, origin, entity, entity_id as id, field, value';

/** The newest op this catalogue's log holds (0 when empty). */
export function lastOpSeq(cat: Catalog): number {
  const r = sqliteOf(cat).prepare('select max(seq) as m from ops').get() as { m: number | null };
  return r.m ?? 0;
}

/** Item ops that arrived after `seq` (any origin): which fields of which items changed. */
export function itemOpsAfter(cat: Catalog, seq: number): { seq: number; id: string; field: string }[] {
  return sqliteOf(cat)
    .prepare("select seq, entity_id as id, field from ops where seq > ? and entity = 'item' order by seq")
    .all(seq) as { seq: number; id: string; field: string }[];
}

/** How many of `origin`'s own ops arrived after `seq` (not pushed yet). */
export function ownOpsAfterCount(cat: Catalog, seq: number, origin: string): number {
  return (
    sqliteOf(cat).prepare('select count(*) as n from ops where seq > ? and origin = ?').get(seq, origin) as {
      n: number;
    }
  ).n;
}

/** `origin`'s own ops after `seq`, oldest first, at most `limit`. */
export function ownOpsAfter(cat: Catalog, seq: number, origin: string, limit: number): LoggedOp[] {
  return sqliteOf(cat)
    .prepare(`select ${OP_COLUMNS} from ops where seq > ? and origin = ? order by seq limit ?`)
    .all(seq, origin, limit) as LoggedOp[];
}

/** The ops with these seqs, oldest first (those to send again). */
export function opsWithSeqs(cat: Catalog, seqs: number[]): LoggedOp[] {
  if (!seqs.length) return [];
  return sqliteOf(cat)
    .prepare(`select ${OP_COLUMNS} from ops where seq in (${seqs.map(() => '?').join(',')}) order by seq`)
    .all(...seqs) as LoggedOp[];
}
