// Schema migrations: a store made at every earlier schema version, holding data of that version, opens with this
// flinkscope, is upgraded in place, and keeps its data (samples, per-job samples, placement, models, incidents with
// an acknowledgement, scores).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore, migrate } from '../../../src/store/index.js';
import { MIGRATIONS } from '../../../src/store/schema.js';
import { packRow } from '../../../src/store/rows.js';

const dir = mkdtempSync(join(tmpdir(), 'flinkscope-migrate-'));

/** A store file at schema version v with rows written the way that version wrote them. */
function storeAt(v: number): string {
  const p = join(dir, `v${v}.db`);
  const db = new Database(p);
  migrate(db, v, p);
  const ins = (sql: string, ...a: unknown[]): void => void db.prepare(sql).run(...a);
  if (v < 4) {
    ins('INSERT INTO samples VALUES (?, ?, ?, ?)', 'tm-1', 'cpu_load', 1000, 0.5);
    ins('INSERT INTO samples VALUES (?, ?, ?, ?)', 'tm-2', 'cpu_load', 2000, 0.25);
    ins('INSERT INTO samples VALUES (?, ?, ?, ?)', 'tm-1', 'heap_used', 1000, 123456789.25);
  } else {
    // version 4 packs a machine's samples at one time into one row
    ins('INSERT INTO metric_ids VALUES (?, ?)', 'cpu_load', 0);
    ins('INSERT INTO metric_ids VALUES (?, ?)', 'heap_used', 1);
    ins('INSERT INTO sample_rows VALUES (?, ?, ?)', 'tm-1', 1000, packRow([0, 1], [0.5, 123456789.25]));
    ins('INSERT INTO sample_rows VALUES (?, ?, ?)', 'tm-2', 2000, packRow([0], [0.25]));
  }
  ins('INSERT INTO placements VALUES (?, ?, ?)', 'tm-1', 'orders', 1000);
  // version 9 stores each score's units (its own, as the watcher wrote them until 10 wrote the level held)
  if (v >= 9) ins('INSERT INTO scores VALUES (?, ?, ?, ?, ?)', 'tm-1', 1000, 0.7, 1, 1.25);
  else ins('INSERT INTO scores VALUES (?, ?, ?, ?)', 'tm-1', 1000, 0.7, 1);
  // version 5 keeps score roll-ups beside the scores (its commitStep writes both)
  if (v >= 5) for (const level of [60_000, 300_000, 1_800_000, 7_200_000]) ins('INSERT INTO score_rollups (level, machine, bucket, max) VALUES (?, ?, ?, ?)', level, 'tm-1', 0, 0.7);
  if (v < 3) {
    ins('INSERT INTO models (kind, path, threshold, created_at, report) VALUES (?, ?, ?, ?, ?)', 'ccl', '/m.model', 4.5, 7, '{"reason":"manual"}');
    ins('INSERT INTO incidents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', 'inc-1', 'tm-1', 'trend', 'acknowledged', 1000, 5000, null, 9,
      JSON.stringify({ segments: 2, explanation: [{ name: 'cpu_load', share: 1, meanZ: 4 }], movers: [], cause: null }));
    ins('INSERT INTO incidents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', 'inc-2', 'tm-2', 'spike', 'resolved', 1500, 1600, 2000, 3, null);
  } else {
    // the unit the watcher kept for tm-1 (since version 8's code): its scores get their place on the alarm scale in 9
    ins('INSERT INTO models (kind, path, created_at, report) VALUES (?, ?, ?, ?)', 'ccl', '/m.model', 7, '{"reason":"manual","legacyThreshold":4.5,"unit:tm-1":[0.2,0.6]}');
    const d = (e: unknown[]): string => JSON.stringify({ explanation: e, jobs: [], movers: [], cause: null, events: [] });
    ins('INSERT INTO incidents (id, machine, type, state, onset, last_seen, resolved_at, peak, segments, paged, detail, ack_at, ack_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      'inc-1', 'tm-1', 'trend', 'open', 1000, 5000, null, 9, 2, 1, d([{ name: 'cpu_load', share: 1, meanZ: 4 }]), 4000, 'ann');
    ins('INSERT INTO incidents (id, machine, type, state, onset, last_seen, resolved_at, peak, segments, paged, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      'inc-2', 'tm-2', 'spike', 'resolved', 1500, 1600, 2000, 3, 1, 1, d([]));
    if (v < 4) {
      ins('INSERT INTO metric_names VALUES (?)', 'cpu_load');
      ins('INSERT INTO metric_names VALUES (?)', 'heap_used');
    }
    ins('INSERT INTO machines VALUES (?, ?, ?)', 'tm-1', 1000, 1000);
    ins('INSERT INTO machines VALUES (?, ?, ?)', 'tm-2', 2000, 2000);
  }
  if (v >= 2) ins('INSERT INTO job_samples VALUES (?, ?, ?, ?, ?, ?)', 'tm-1', 'orders', 'map', 'busy_ms_per_s', 1000, 300);
  if (v >= 6) {
    // version 6 keeps one outbox row per sink
    ins('INSERT INTO outbox (sink, key, incident_id, kind, created_at, attempts, next_at, delivered_at, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', 'webhook', 'inc-1:open', 'inc-1', 'open', 1000, 2, 9000, null, 'HTTP 503');
    ins('INSERT INTO outbox (sink, key, incident_id, kind, created_at, attempts, next_at, delivered_at, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', 'webhook', 'inc-2:open', 'inc-2', 'open', 1500, 1, 1500, 1600, null);
  } else if (v >= 3) {
    ins('INSERT INTO outbox (key, incident_id, kind, created_at, attempts, next_at, delivered_at, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', 'inc-1:open', 'inc-1', 'open', 1000, 2, 9000, null, 'HTTP 503');
    ins('INSERT INTO outbox (key, incident_id, kind, created_at, attempts, next_at, delivered_at, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', 'inc-2:open', 'inc-2', 'open', 1500, 1, 1500, 1600, null);
  }
  // version 7 moves rows older than settle_state.until to the machine-ordered tables (the rows above are settled)
  if (v >= 7) {
    ins('UPDATE settle_state SET until = ?', 3000);
    // and a newer score in the time-ordered recent table, in the same roll-up buckets
    if (v >= 9) ins('INSERT INTO score_recent VALUES (?, ?, ?, ?, ?)', 4000, 'tm-1', 0.9, 1, 1.75);
    else ins('INSERT INTO score_recent VALUES (?, ?, ?, ?)', 4000, 'tm-1', 0.9, 1);
    ins('INSERT INTO score_recent_ts VALUES (?)', 4000);
    ins('UPDATE score_rollups SET max = ?', 0.9);
    if (v >= 9) ins('UPDATE score_rollups SET umax = ?', 1.75);
  }
  db.close();
  return p;
}

describe('store migrations', () => {
  for (let v = 1; v < MIGRATIONS.length; v++) {
    it(`upgrades a version-${v} store in place, keeping its data`, async () => {
      const s = new SqliteStore(storeAt(v));
      try {
        assert.equal(s.schemaVersion, MIGRATIONS.length);
        assert.deepEqual(await s.machines(), ['tm-1', 'tm-2'], 'machines registered from the samples');
        assert.deepEqual(await s.metrics(), ['cpu_load', 'heap_used'], 'metric names carried over');
        assert.equal((await s.status()).samples, 3);
        assert.deepEqual(Array.from((await s.series('tm-1', ['heap_used', 'cpu_load'])).values), [123456789.25, 0.5], 'packed rows read back exactly');
        assert.deepEqual(await s.jobsOn('tm-1'), ['orders']);
        assert.deepEqual(await s.scores('tm-1', 0, 3000), { t: [1000], score: [0.7], model: [1] }, 'with the model version that scored it');
        const m = (await s.latestModel())!;
        assert.equal(m.path, '/m.model');
        assert.equal(m.report.legacyThreshold, 4.5, 'the old threshold column is kept in the report, not as a second source of truth');
        const i1 = (await s.incident('inc-1'))!;
        assert.equal(i1.state, 'acknowledged');
        assert.equal(i1.segments, 2);
        assert.deepEqual(i1.explanation, [{ name: 'cpu_load', share: 1, meanZ: 4 }]);
        assert.ok(i1.ack);
        const i2 = (await s.incident('inc-2'))!;
        assert.equal(i2.state, 'resolved');
        assert.equal(i2.resolvedAt, 2000);
        assert.deepEqual(i2.explanation, []);
        assert.deepEqual((await s.activeIncidents()).map((i) => i.id), ['inc-1']);
        if (v >= 2) assert.equal((await s.jobSamples('tm-1', 0, 5000))[0].value, 300);
        if (v >= 3) {
          // v5: the outbox rows are the webhook's, with their delivery state
          assert.deepEqual((await s.alerts()).map((a) => [a.sink, a.key, a.attempts, a.nextAt, a.deliveredAt, a.lastError]),
            [['webhook', 'inc-1:open', 2, 9000, null, 'HTTP 503'], ['webhook', 'inc-2:open', 1, 1500, 1600, null]]);
          assert.deepEqual((await s.dueAlerts(10_000, 10, 'webhook')).map((a) => a.key), ['inc-1:open']);
        }
        assert.equal(await s.insertJobGraphs([{ jobId: 'j', job: 'orders', ts: 1, state: 'RUNNING', vertices: [], edges: [] }]), 1, 'job graphs can be stored');
        // and it works as a current store
        assert.equal(await s.insertSamples([{ ts: 3000, machine: 'tm-3', metric: 'gc_time_ms', value: 1 }]), 1);
        assert.ok((await s.metrics()).includes('gc_time_ms'));
        // version 5: the roll-ups are built from what the store held (a range read through them sees the old rows)
        const week = await s.metricsRange('tm-1', 0, 7 * 86_400_000, 100);
        assert.ok(week.bucketMs >= 7_200_000, 'a week is read from the 2 h roll-up');
        assert.deepEqual(week.channels, ['cpu_load', 'heap_used']);
        assert.deepEqual(week.values, [[0.5], [123456789.25]]);
        assert.deepEqual((await s.scoresRange('tm-1', 0, 7 * 86_400_000, 100)).values, [[v >= 7 ? 0.9 : 0.7]]);
        // v9: scores stored with a unit kept in their model's report are put on the alarm scale, raw rows and roll-ups;
        // v10: each at the level held — the recent row's 1.75 (0.9 in the unit [0.2, 0.6]) holds the 1.25 before it
        const heat = async (to: number): Promise<number> => Math.max(...(await s.heatMap({ from: 0, to, buckets: 100, threshold: 2, machines: ['tm-1'] })).cells[0].filter((c) => c !== null));
        const top = v >= 7 ? 0.9 : 0.7; // the recent row's too (version 7 on)
        const want = v >= 3 ? (0.7 - 0.2) / (0.6 - 0.2) : top / 2;
        assert.ok(Math.abs((await heat(5000))! - want) < 1e-9, `raw rows: ${await heat(5000)} vs ${want}`);
        assert.ok(Math.abs((await heat(7 * 86_400_000))! - want) < 1e-9, `roll-ups: ${await heat(7 * 86_400_000)} vs ${want}`);
        // v8: the outbox takes updates
        await s.commitStep({ scores: [], modelId: null, scorerStates: [], incidents: [], alerts: [{ key: 'inc-1:update:4500', incidentId: 'inc-1', kind: 'update', createdAt: 4600 }], status: [], meta: {} });
        assert.equal((await s.alerts({ incidentId: 'inc-1' })).at(-1)?.kind, 'update');
      } finally {
        await s.close();
      }
    });
  }
});
