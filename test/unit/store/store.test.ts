// The embedded store: migrations, idempotent inserts, transactions, pivot to a Series, retention, downsampling.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../../../src/store/sqlite.js';
import { MIGRATIONS } from '../../../src/store/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'flinkscope-store-'));

describe('store', () => {
  it('migrates a new file, ignores duplicate samples, pivots a machine into a Series', () => {
    const s = new Store(join(dir, 'a.db'));
    assert.equal(s.schemaVersion, 2);
    const batch = [
      { ts: 1000, machine: 'tm-1', metric: 'cpu_load', value: 0.5 },
      { ts: 1000, machine: 'tm-1', metric: 'latency_ms', value: 10 },
      { ts: 2000, machine: 'tm-1', metric: 'cpu_load', value: 0.7 },
      { ts: 2000, machine: 'tm-2', metric: 'cpu_load', value: 0.1 },
      { ts: 3000, machine: 'tm-1', metric: 'cpu_load', value: NaN },
    ];
    assert.equal(s.insertSamples(batch), 4, 'NaN is not stored');
    assert.equal(s.insertSamples(batch), 0, 're-delivered samples are not duplicated');
    const ser = s.series('tm-1', ['cpu_load', 'latency_ms']);
    assert.deepEqual(Array.from(ser.timestamps), [1000, 2000]);
    assert.equal(ser.values[0], 0.5);
    assert.ok(Number.isNaN(ser.values[3]), 'missing value is NaN');
    assert.deepEqual(s.machines(), ['tm-1', 'tm-2']);
    s.recordPlacement({ 'tm-1': ['orders', 'clicks'] }, 5);
    assert.deepEqual(s.jobsOn('tm-1'), ['clicks', 'orders']);
    s.close();
    const again = new Store(join(dir, 'a.db'));
    assert.equal(again.status().samples, 4, 'data survives reopening; migrations are not re-applied');
    again.close();
  });

  it('a failing batch is rolled back as a whole', () => {
    const s = new Store(join(dir, 'b.db'));
    const bad = [{ ts: 1, machine: 'm', metric: 'x', value: 1 }, { ts: 2, machine: {} as unknown as string, metric: 'x', value: 2 }];
    assert.throws(() => s.insertSamples(bad));
    assert.equal(s.status().samples, 0);
    s.close();
  });

  it('retention and downsampling', () => {
    const s = new Store(join(dir, 'c.db'));
    const rows = Array.from({ length: 10 }, (_, i) => ({ ts: i * 1000, machine: 'm', metric: 'cpu', value: i }));
    s.insertSamples(rows);
    assert.equal(s.downsample(6000, 3000), 4, '6 rows before 6 s become 2 buckets');
    const v = s.series('m', ['cpu']);
    assert.deepEqual(Array.from(v.timestamps), [0, 3000, 6000, 7000, 8000, 9000]);
    assert.deepEqual(Array.from(v.values.subarray(0, 2)), [1, 4]);
    assert.equal(s.retain(7000), 3);
    assert.equal(s.status().samples, 3);
    s.close();
  });

  it('upgrades a version-1 store in place, keeping its samples', () => {
    const p = join(dir, 'v1.db');
    const raw = new Database(p);
    raw.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    raw.exec(MIGRATIONS[0]);
    raw.prepare('INSERT INTO schema_version VALUES (1, 0)').run();
    raw.prepare('INSERT INTO samples VALUES (?, ?, ?, ?)').run('tm-1', 'cpu_load', 1000, 0.5);
    raw.close();
    const s = new Store(p);
    assert.equal(s.schemaVersion, 2);
    assert.equal(s.status().samples, 1);
    assert.equal(s.insertSamples([{ ts: 1000, machine: 'tm-1', metric: 'busy_ms_per_s', value: 3, job: 'j', operator: 'op' }]), 1);
    assert.equal(s.jobSamples('tm-1', 0, 2000)[0].job, 'j');
    s.close();
  });

  it('refuses a store from a newer flinkscope', () => {
    const p = join(dir, 'd.db');
    new Store(p).close();
    const raw = new Database(p);
    raw.prepare('INSERT INTO schema_version VALUES (99, 0)').run();
    raw.close();
    assert.throws(() => new Store(p), /schema version 99/);
  });

  it('keeps models, scores and scorer state', () => {
    const s = new Store(':memory:');
    const id = s.addModel('ccl', '/m/ccl.model', 4.2, { epochs: 3 });
    const { createdAt, ...latest } = s.latestModel()!;
    assert.deepEqual(latest, { id, kind: 'ccl', path: '/m/ccl.model', threshold: 4.2 });
    assert.ok(Math.abs(createdAt - Date.now()) < 60_000);
    s.saveScores('m', [{ t: 1, score: 0.5 }], id);
    s.saveScorerState('m', { ring: [1, 2] });
    assert.deepEqual(s.scorerState('m'), { ring: [1, 2] });
    s.close();
  });
});
