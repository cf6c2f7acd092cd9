import { sql, type Kysely, type Migration } from 'kysely';
import { createSearchIndexes } from './search-indexes.js';

/**
 * Catalogue migrations, in order, one list for both engines. Never change what a released one
 * does on SQLite: add the next. Where PostgreSQL needs other SQL (64-bit sizes and times, float8,
 * identity columns, reserved words, case-insensitive names, no triggers) the branch is marked.
 */
export function migrations(engine: 'sqlite' | 'postgres'): Record<string, Migration> {
  const pg = engine === 'postgres';
  /** Byte sizes and millisecond times pass 2^31: SQLite's integer is 64-bit, PostgreSQL's is not. */
  const int64 = pg ? 'bigint' : 'integer';
  /** SQLite's real is a double; PostgreSQL's is 4 bytes (a GPS position would lose metres). */
  const real = pg ? 'double precision' : 'real';
  return {
    '0001_initial': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('items')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('path', 'text', (c) => c.notNull().unique())
          .addColumn('monitor', 'text', (c) => c.notNull())
          .addColumn('size', int64, (c) => c.notNull())
          .addColumn('ext', 'text', (c) => c.notNull())
          .addColumn('original_name', 'text', (c) => c.notNull())
          .addColumn('original_mtime_ms', int64, (c) => c.notNull())
          .addColumn('captured_at', 'text')
          .addColumn('captured_source', 'text')
          .addColumn('sort_time', 'text', (c) => c.notNull())
          .addColumn('imported_at', 'text', (c) => c.notNull())
          .addColumn('card_id', 'text')
          .addColumn('width', 'integer')
          .addColumn('height', 'integer')
          .addColumn('orientation', 'integer')
          .addColumn('duration_s', real)
          .addColumn('make', 'text')
          .addColumn('model', 'text')
          .addColumn('lat', real)
          .addColumn('lon', real)
          .addColumn('alt', real)
          .addColumn('facts', 'text', (c) => c.notNull().defaultTo('{}'))
          .addColumn('warnings', 'text', (c) => c.notNull().defaultTo('[]'))
          .addColumn('phash', 'text')
          .addColumn('has_thumb', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('has_preview', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('has_poster', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('derived_at', 'text')
          .addColumn('event', 'text')
          .addColumn('location_lat', real)
          .addColumn('location_lon', real)
          .addColumn('rating', 'integer')
          .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
          .addColumn('notes', 'text')
          .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        await db.schema.createIndex('items_sort').on('items').columns(['sort_time', 'id']).execute();
        await db.schema.createIndex('items_monitor').on('items').columns(['monitor', 'sort_time']).execute();
        await db.schema.createIndex('items_phash').on('items').column('phash').execute();
        await db.schema.createIndex('items_state').on('items').column('state').execute();

        await db.schema
          .createTable('imports')
          .addColumn('card_id', 'text', (c) => c.notNull())
          .addColumn('rel_path', 'text', (c) => c.notNull())
          .addColumn('size', int64, (c) => c.notNull())
          .addColumn('mtime_ms', int64, (c) => c.notNull())
          .addColumn('item_id', 'text', (c) => c.notNull())
          .addColumn('outcome', 'text', (c) => c.notNull())
          .addColumn('imported_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('imports_pk', ['card_id', 'rel_path', 'size', 'mtime_ms'])
          .execute();
        await db.schema.createIndex('imports_item').on('imports').column('item_id').execute();

        await db.schema
          .createTable('companions')
          .addColumn('item_id', 'text', (c) => c.notNull())
          .addColumn('ext', 'text', (c) => c.notNull())
          .addColumn('path', 'text', (c) => c.notNull().unique())
          .addColumn('sha256', 'text', (c) => c.notNull())
          .addColumn('size', int64, (c) => c.notNull())
          .addPrimaryKeyConstraint('companions_pk', ['item_id', 'ext'])
          .execute();

        await db.schema
          .createTable('cards')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('label', 'text')
          .addColumn('fs_uuid', 'text')
          .addColumn('monitor', 'text')
          .addColumn('first_seen', 'text', (c) => c.notNull())
          .addColumn('last_seen', 'text', (c) => c.notNull())
          .addColumn('last_mount', 'text')
          .execute();

        await db.schema
          .createTable('ops')
          .addColumn('seq', pg ? 'bigserial' : 'integer', (c) =>
            pg ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('hlc', 'text', (c) => c.notNull())
          .addColumn('origin', 'text', (c) => c.notNull())
          .addColumn('entity', 'text', (c) => c.notNull())
          .addColumn('entity_id', 'text', (c) => c.notNull())
          .addColumn('field', 'text', (c) => c.notNull())
          .addColumn('value', 'text', (c) => c.notNull())
          .addUniqueConstraint('ops_identity', ['hlc', 'origin', 'entity', 'entity_id', 'field'])
          .execute();
        await db.schema
          .createIndex('ops_target')
          .on('ops')
          .columns(['entity', 'entity_id', 'field'])
          .execute();

        await db.schema
          .createTable('meta')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .execute();
        await sql`select 1`.execute(db);
      },
    },
    '0002_underived_index': {
      async up(db: Kysely<unknown>) {
        // Items still waiting for thumbnails: looked up at every ingest start, so index them.
        await sql`create index items_underived on items(state) where derived_at is null`.execute(db);
      },
    },
    '0003_list_indexes': {
      async up(db: Kysely<unknown>) {
        // The gallery lists by monitor or event in capture order: ties on sort_time need the id.
        await sql`drop index if exists items_monitor`.execute(db);
        await sql`create index items_monitor on items(monitor, sort_time, id)`.execute(db);
        await sql`create index items_event on items(event, sort_time, id)`.execute(db);
      },
    },
    '0004_auth': {
      async up(db: Kysely<unknown>) {
        // Users and sessions travel with the drive (see src/auth/). Names compare without case:
        // tablets capitalise the first letter of a login field.
        if (pg) {
          // No nocase collation: a unique index on lower(name) keeps "Ana" and "ana" one user.
          await sql`create table users (
          name text primary key,
          role text not null check (role in ('viewer', 'editor')),
          password_hash text not null,
          created_at text not null,
          disabled integer not null default 0
        )`.execute(db);
          await sql`create unique index users_name_lower on users (lower(name))`.execute(db);
          await sql`create table sessions (
          id_hash text primary key,
          "user" text not null references users(name) on delete cascade,
          created_at text not null,
          expires_at text not null,
          last_seen text not null
        )`.execute(db);
          await sql`create index sessions_user on sessions("user")`.execute(db);
        } else {
          await sql`create table users (
          name text primary key collate nocase,
          role text not null check (role in ('viewer', 'editor')),
          password_hash text not null,
          created_at text not null,
          disabled integer not null default 0
        )`.execute(db);
          // Only a SHA-256 of the session token is stored: a copied catalogue holds no live session.
          await sql`create table sessions (
          id_hash text primary key,
          user text not null references users(name) on delete cascade,
          created_at text not null,
          expires_at text not null,
          last_seen text not null
        )`.execute(db);
          await sql`create index sessions_user on sessions(user)`.execute(db);
        }
        await sql`create index sessions_expires on sessions(expires_at)`.execute(db);
      },
    },
    '0005_hq': {
      async up(db: Kysely<unknown>) {
        // HQ only (src/hq/): stations' upload keys and the verified objects HQ holds. A station's
        // catalogue has them too, empty. Only a SHA-256 of a key is stored (it has 256 bits).
        await sql`create table station_keys (
        key_sha256 text primary key,
        name text not null,
        created_at text not null,
        revoked_at text
      )`.execute(db);
        await sql`create index station_keys_name on station_keys(name)`.execute(db);
        // One row per (item, rendition): the bytes with that hash are in the object store.
        await sql`create table objects (
        item text not null,
        rendition text not null check (rendition in ('original', 'thumb', 'preview')),
        sha256 text not null,
        size ${sql.raw(int64)} not null,
        station text not null,
        received_at text not null,
        primary key (item, rendition)
      )`.execute(db);
        await sql`create index objects_sha256 on objects(sha256)`.execute(db);
        await sql`create index objects_station on objects(station)`.execute(db);
      },
    },
    '0006_uplink': {
      async up(db: Kysely<unknown>) {
        // The station's durable transfer journal (src/uplink/journal.ts): one row per item,
        // rendition and target. `offset` is what the target confirmed, never what was merely sent.
        await sql`create table uplink_transfers (
        target text not null,
        item text not null,
        rendition text not null check (rendition in ('original', 'thumb', 'preview')),
        state text not null default 'pending'
          check (state in ('pending', 'uploading', 'done', 'cancelled')),
        size ${sql.raw(int64)},
        sha256 text,
        upload_url text,
        "offset" ${sql.raw(int64)} not null default 0,
        attempts integer not null default 0,
        last_error text,
        created_at text not null,
        updated_at text not null,
        done_at text,
        primary key (target, item, rendition)
      )`.execute(db);
        await sql`create index uplink_transfers_state on uplink_transfers(target, state)`.execute(db);
        // Item facts a target has been told about (sent before any of the item's bytes).
        await sql`create table uplink_facts (
        target text not null,
        item text not null,
        primary key (target, item)
      )`.execute(db);
      },
    },
    '0007_mirror': {
      async up(db: Kysely<unknown>) {
        // The drive mirror's change journal (src/drives/): every item or companion whose files or
        // facts changed gets a row, so a mirror pass reads what changed since its cursor instead of
        // walking the library. Attribute edits travel through the op log, not here.
        await sql`create table changes (
        seq ${sql.raw(pg ? 'bigserial primary key' : 'integer primary key autoincrement')},
        item text not null,
        kind text not null
      )`.execute(db);
        // PostgreSQL holds HQ's catalogue, which no drive mirror reads: no triggers to keep.
        if (pg) return;
        await sql`create trigger changes_item_insert after insert on items
        begin insert into changes (item, kind) values (new.id, 'item'); end`.execute(db);
        await sql`create trigger changes_item_update
        after update of state, path, monitor, deleted, has_thumb, has_preview, has_poster on items
        begin insert into changes (item, kind) values (new.id, 'item'); end`.execute(db);
        await sql`create trigger changes_item_delete after delete on items
        begin insert into changes (item, kind) values (old.id, 'item'); end`.execute(db);
        await sql`create trigger changes_companion_insert after insert on companions
        begin insert into changes (item, kind) values (new.item_id, 'companion'); end`.execute(db);
        await sql`create trigger changes_companion_update after update on companions
        begin insert into changes (item, kind) values (new.item_id, 'companion'); end`.execute(db);
        await sql`create trigger changes_companion_delete after delete on companions
        begin insert into changes (item, kind) values (old.item_id, 'companion'); end`.execute(db);
      },
    },
    '0008_scrub': {
      async up(db: Kysely<unknown>) {
        // What the scrub (src/drives/scrub.ts) found wrong with a file on this drive, kept until a
        // later check finds it right again: the station's status shows the damaged rows.
        // state: damaged (not repaired yet), repaired (from the partner drive), resolved (right again).
        await sql`create table scrub_findings (
        path text primary key,
        item text not null,
        kind text not null check (kind in ('original', 'companion')),
        code text not null,
        expected text not null,
        actual text,
        detail text not null,
        state text not null check (state in ('damaged', 'repaired', 'resolved')),
        reason text,
        quarantine text,
        found_at text not null,
        updated_at text not null
      )`.execute(db);
        await sql`create index scrub_findings_state on scrub_findings(state)`.execute(db);
      },
    },
    '0009_hq_holders': {
      async up(db: Kysely<unknown>) {
        // HQ: which stations sent an item's facts (they hold its original). A station key may
        // write ops about, and upload renditions of, only the items it holds (issue 10).
        await sql`create table item_holders (
        item text not null,
        station text not null,
        primary key (item, station)
      )`.execute(db);
        await sql`create index item_holders_station on item_holders(station)`.execute(db);
        // An HQ catalogue made before: its items' paths are `<station>/<station's path>`.
        // (A PostgreSQL catalogue is always newer than this rule: nothing to backfill.)
        if (pg) return;
        await sql`insert or ignore into item_holders (item, station)
        select id, substr(path, 1, instr(path, '/') - 1) from items
        where instr(path, '/') > 1 and path not like 'library/%'`.execute(db);
        await sql`insert or ignore into item_holders (item, station)
        select distinct item, station from objects`.execute(db);
      },
    },
    '0010_op_heads': {
      async up(db: Kysely<unknown>) {
        // The winning op of each field (src/library/catalog/ops.ts): merging an op is one
        // conditional upsert here (`where excluded.hlc > op_heads.hlc`), so writers sharing a
        // catalogue (HQ nodes on one PostgreSQL) never decide from a stale read. HLC stamps
        // compare as bytes (their encoding sorts in clock order): PostgreSQL's "C" collation, not
        // the database's linguistic one.
        await sql`create table op_heads (
        entity text not null,
        entity_id text not null,
        field text not null,
        hlc text ${sql.raw(pg ? 'collate "C" ' : '')}not null,
        origin text not null,
        value text not null,
        primary key (entity, entity_id, field)
      )`.execute(db);
        // From the log so far: the greatest stamp wins; on a tie the op stored first (as before).
        if (pg) {
          await sql`insert into op_heads (entity, entity_id, field, hlc, origin, value)
          select distinct on (entity, entity_id, field) entity, entity_id, field, hlc, origin, value
          from ops order by entity, entity_id, field, hlc collate "C" desc, seq`.execute(db);
          return;
        }
        await sql`insert or ignore into op_heads (entity, entity_id, field, hlc, origin, value)
        select entity, entity_id, field, hlc, origin, value from ops o
        where hlc = (select max(hlc) from ops p
                     where p.entity = o.entity and p.entity_id = o.entity_id and p.field = o.field)
        order by seq`.execute(db);
      },
    },
    '0014_location_source': {
      async up(db: Kysely<unknown>) {
        // Where an item's set location came from ('gpx' from a GPX track, 'hand' set by a person;
        // null: not known, e.g. set before this column or read from a card's sidecar).
        await sql`alter table items add column location_source text`.execute(db);
      },
    },
    '0015_rejected': {
      async up(db: Kysely<unknown>) {
        // Rejected items (issue 13 §2, docs/reject-delete.md): hidden from the gallery by default.
        await sql`alter table items add column rejected integer not null default 0`.execute(db);
      },
    },
    '0016_time_shift': {
      async up(db: Kysely<unknown>) {
        // A wrong camera clock fixed (issue 13 §2): the camera's own times are kept, the corrected
        // ones are captured_at/sort_time (what lists, filters and folders use).
        await sql`alter table items add column camera_captured_at text`.execute(db);
        await sql`alter table items add column camera_sort_time text`.execute(db);
        await sql`alter table items add column time_shift_ms bigint not null default 0`.execute(db);
      },
    },
    '0018_video_rendition': {
      async up(db: Kysely<unknown>) {
        // A video's small H.264 streaming copy (issue 13 §1.12), beside thumb/preview/poster.
        await sql`alter table items add column has_video integer not null default 0`.execute(db);
        // When the background pass last decided about it (made, not needed, or failed): null = to do.
        await sql`alter table items add column video_checked_at text`.execute(db);
      },
    },
    '0019_undated_index': {
      async up(db: Kysely<unknown>) {
        // The gallery lists items without a capture date as their own group, after the dated
        // ones (issue 13 §1.7): a partial index keeps that group's pages as cheap as the others.
        await sql`create index items_undated on items(sort_time, id) where captured_at is null`.execute(db);
      },
    },
    '0020_upload_state': {
      async up(db: Kysely<unknown>) {
        // A part-based upload's resume state (a bucket's confirmed parts and running SHA-256:
        // uplink/targets/bucket-target.ts), journalled beside its upload URL.
        await sql`alter table uplink_transfers add column upload_state text`.execute(db);
      },
    },
    '0021_upload_hashes': {
      async up(db: Kysely<unknown>) {
        // HQ's running SHA-256 of each tus upload kept in the object store (several nodes): the
        // hash state after the bytes up to `offset`, saved after every request that stored them.
        await sql`create table upload_hashes (
          upload_id text primary key,
          "offset" bigint not null,
          state text not null
        )`.execute(db);
      },
    },
    '0022_list_at_scale': {
      async up(db: Kysely<unknown>) {
        // HQ's gallery at a million items (issue 14 §5). SQLite needs none of it (a station's
        // library is small and its planner walks items_sort): PostgreSQL only.
        if (!pg) return;
        // Whether an item is a camera recording, as a column: the planner gets statistics for it
        // (an expression over JSON is guessed at 0.5 % and wrecks every plan that has a LIMIT),
        // and no row's facts are parsed to answer it. Set from the facts when a row is written
        // with them (a generated column would parse them again at every attribute update).
        await sql`alter table items add column recording_camera text`.execute(db);
        await sql`update items set recording_camera = facts::jsonb #>> '{recording,camera}'
          where facts like '%"recording"%'`.execute(db);
        await sql`create function items_recording_camera() returns trigger language plpgsql as $$
          begin
            new.recording_camera := new.facts::jsonb #>> '{recording,camera}';
            return new;
          end $$`.execute(db);
        await sql`create trigger items_recording_camera before insert or update of facts on items
          for each row execute function items_recording_camera()`.execute(db);
        // The event codes in use, kept by a trigger: an event filter (a substring) becomes the
        // few codes it matches, each read in order from items_event and merged (item-list.ts).
        // Codes no item carries any more stay: they match no rows. No unique key: two merges
        // bringing the same new codes in another order would wait on each other's key (a
        // deadlock); a race may store a code twice, which the lookup's DISTINCT absorbs.
        await sql`create table event_codes (code text not null)`.execute(db);
        await sql`create index event_codes_code on event_codes(code)`.execute(db);
        await sql`insert into event_codes select distinct event from items where event is not null`.execute(
          db,
        );
        await sql`create function items_event_code() returns trigger language plpgsql as $$
          begin
            if not exists (select 1 from event_codes where code = new.event) then
              insert into event_codes (code) values (new.event);
            end if;
            return new;
          end $$`.execute(db);
        await sql`create trigger items_event_code_insert after insert on items
          for each row when (new.event is not null) execute function items_event_code()`.execute(db);
        await sql`create trigger items_event_code_update after update of event on items
          for each row when (new.event is not null and new.event is distinct from old.event)
          execute function items_event_code()`.execute(db);
        // Tag filters (`tags::jsonb @> '["lion"]'`) through an index, with statistics.
        await sql`create index items_tags on items using gin ((tags::jsonb) jsonb_path_ops)`.execute(db);
        // Substring search (event, and free text over the searched columns) through trigram
        // indexes, where pg_trgm may be created (else HQ warns at start and makes them later).
        await createSearchIndexes(db);
        // Statistics for the new column and the indexed expressions now, not at autovacuum's leisure.
        await sql`analyze items`.execute(db);
      },
    },
    '0023_snapshots': {
      async up(db: Kysely<unknown>) {
        // IP cameras' snapshots (src/snapshots/): what each one is beyond its item (who sent it,
        // when it arrived, what its name said), and one row per camera and day, the timelapse's
        // job and its link to the day's snapshots. Station tables; made on both engines alike.
        await db.schema
          .createTable('snapshot_items')
          .addColumn('item_id', 'text', (c) => c.primaryKey())
          .addColumn('camera', 'text', (c) => c.notNull())
          .addColumn('day', 'text', (c) => c.notNull())
          .addColumn('received_ms', int64, (c) => c.notNull())
          .addColumn('upload_path', 'text', (c) => c.notNull())
          .addColumn('hint_local', 'text')
          .addColumn('trigger', 'text')
          .addColumn('drift_s', real)
          .addColumn('via', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('snapshot_items_day')
          .on('snapshot_items')
          .columns(['camera', 'day', 'received_ms'])
          .execute();
        await db.schema
          .createTable('snapshot_days')
          .addColumn('camera', 'text', (c) => c.notNull())
          .addColumn('day', 'text', (c) => c.notNull())
          .addColumn('time_zone', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('timelapse_id', 'text')
          .addColumn('frames', 'integer')
          .addColumn('snapshots', 'integer')
          .addColumn('gaps', 'text')
          .addColumn('error', 'text')
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('snapshot_days_pk', ['camera', 'day'])
          .execute();
        await db.schema
          .createTable('snapshot_rejects')
          .addColumn('camera', 'text', (c) => c.notNull())
          .addColumn('day', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('n', 'integer', (c) => c.notNull())
          .addColumn('last_at', 'text', (c) => c.notNull())
          .addColumn('last_message', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('snapshot_rejects_pk', ['camera', 'day', 'reason'])
          .execute();
      },
    },
    '0024_device_sync': {
      async up(db: Kysely<unknown>) {
        // Tablets' offline edits (library/device-sync.ts): each op a device pushed, by its own
        // origin and stamp (a push repeated after a cut changes nothing), and the conflicts they
        // met: both values kept until someone chooses.
        await db.schema
          .createTable('device_ops')
          .addColumn('origin', 'text', (c) => c.notNull())
          .addColumn('hlc', 'text', (c) => c.notNull())
          .addColumn('item_id', 'text', (c) => c.notNull())
          .addColumn('field', 'text', (c) => c.notNull())
          .addColumn('stamp', 'text')
          .addColumn('outcome', 'text', (c) => c.notNull())
          .addColumn('message', 'text')
          .addColumn('conflict_id', 'text')
          .addColumn('received_ms', int64, (c) => c.notNull())
          .addPrimaryKeyConstraint('device_ops_pk', ['origin', 'hlc'])
          .execute();
        await db.schema
          .createTable('sync_conflicts')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('item_id', 'text', (c) => c.notNull())
          .addColumn('field', 'text', (c) => c.notNull())
          .addColumn('origin', 'text', (c) => c.notNull())
          .addColumn('device_value', 'text', (c) => c.notNull())
          .addColumn('other_value', 'text', (c) => c.notNull())
          .addColumn('base_value', 'text', (c) => c.notNull())
          .addColumn('winner', 'text', (c) => c.notNull())
          .addColumn('created_ms', int64, (c) => c.notNull())
          .addColumn('resolved_ms', int64)
          .addColumn('resolution', 'text')
          .execute();
        await db.schema
          .createIndex('sync_conflicts_open')
          .on('sync_conflicts')
          .columns(['resolved_ms', 'created_ms'])
          .execute();
      },
    },
  };
}
