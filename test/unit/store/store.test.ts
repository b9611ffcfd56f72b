// The SQLite store: the shared store contract (test/helpers/store-suite.ts) on files and in memory, and what only
// the file engine has (a store from a newer flinkscope is refused).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore, type Store } from '../../../src/store/index.js';
import { storeSuite } from '../../helpers/store-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'flinkscope-store-'));
let n = 0;
storeSuite('sqlite', async () => new SqliteStore(join(dir, `s${n++}.db`)), async (s: Store) => {
  await s.close();
  return new SqliteStore(s.location);
});

describe('store (sqlite only)', () => {
  it('refuses a store from a newer flinkscope', async () => {
    const p = join(dir, 'd.db');
    await new SqliteStore(p).close();
    const raw = new Database(p);
    raw.prepare('INSERT INTO schema_version VALUES (99, 0)').run();
    raw.close();
    assert.throws(() => new SqliteStore(p), /schema version 99/);
  });

});
