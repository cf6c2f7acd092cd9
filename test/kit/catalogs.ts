import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { openCatalog, type Catalog, type CatalogEngine } from '../../src/library/catalog/open.js';
import { startTestPostgres, type TestPostgres } from './postgres.js';

/**
 * The catalogue's contract suite runs every test on both engines: a SQLite file (library drives,
 * the default HQ) and a real PostgreSQL server (HQ at scale). Use:
 *
 *   for (const engine of catalogEngines()) describe(engine.name, () => { … await engine.open() … });
 *
 * Each open() is a fresh, migrated, empty catalogue; all are closed (and the cluster stopped)
 * when the test file ends. PostgreSQL starts once per test file, on first use.
 */
export interface CatalogEngineUnderTest {
  name: CatalogEngine;
  open(): Promise<Catalog>;
}

let cluster: Promise<TestPostgres> | undefined;
const open: Catalog[] = [];
const dirs: string[] = [];
let cleanupRegistered = false;

function registerCleanup(): void {
  if (cleanupRegistered) return;
  cleanupRegistered = true;
  after(async () => {
    await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
    if (cluster) await (await cluster).stop();
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
}

/** A fresh PostgreSQL database URL on this file's throw-away cluster. */
export async function testPostgresUrl(): Promise<string> {
  registerCleanup();
  cluster ??= startTestPostgres();
  return (await cluster).database();
}

export function catalogEngines(): CatalogEngineUnderTest[] {
  registerCleanup();
  return [
    {
      name: 'sqlite',
      async open() {
        const dir = await mkdtemp(join(tmpdir(), 'outpost-cat-'));
        dirs.push(dir);
        const cat = await openCatalog(join(dir, 'catalog.sqlite'));
        open.push(cat);
        return cat;
      },
    },
    {
      name: 'postgres',
      async open() {
        const cat = await openCatalog(await testPostgresUrl());
        open.push(cat);
        return cat;
      },
    },
  ];
}
