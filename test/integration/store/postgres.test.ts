// The PostgreSQL store against a real PostgreSQL (test/helpers/postgres.ts starts its own): the whole store contract
// (test/helpers/store-suite.ts, one fresh database per case), migrations from each earlier schema version with the
// data of that version, a store from a newer flinkscope refused, and what a shared store must bear — several
// processes' connections migrating, inserting the same samples and committing steps at the same time.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { PostgresStore, migratePg } from '../../../src/store/postgres.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { PG_MIGRATIONS } from '../../../src/store/pg-schema.js';
import { MIGRATIONS } from '../../../src/store/schema.js';
import { packRow } from '../../../src/store/rows.js';
import { RollupCells } from '../../../src/store/pg-rollups.js';
import { startPostgres } from '../../helpers/postgres.js';
import { storeSuite } from '../../helpers/store-suite.js';
import { rollupSuite } from '../../helpers/rollup-suite.js';
import { toolboxSuite } from '../../helpers/toolbox-suite.js';

const server = startPostgres();
after(async () => (await server).stop());
let n = 0;
const freshDb = async (): Promise<string> => (await server).createDb(`t${n++}`);

storeSuite('postgres', async () => openStore(await freshDb()), async (s: Store) => {
  await s.close();
  return openStore(s.location);
});

rollupSuite('postgres', async () => openStore(await freshDb()));

toolboxSuite('postgres', async () => openStore(await freshDb()), async (s: Store) =>
  (await (s as PostgresStore).pool.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM job_topologies')).rows[0].n);

describe('store (postgres only)', { timeout: 120_000 }, () => {
  it('has the SQLite engine\'s migrations: same numbers, each earlier version upgraded in place with its data', async () => {
    assert.equal(PG_MIGRATIONS.length, MIGRATIONS.length);
    for (const v of [1, 2, 3, 4, 5, 9]) {
      const url = await freshDb();
      const pool = new pg.Pool({ connectionString: url, max: 1 });
      await migratePg(pool, v, url);
      const q = (sql: string, a: unknown[] = []): Promise<unknown> => pool.query(sql, a);
      if (v < 4) await q('INSERT INTO samples VALUES ($1, $2, $3, $4), ($5, $6, $7, $8), ($9, $10, $11, $12)', ['tm-1', 'cpu_load', 1000, 0.5, 'tm-2', 'cpu_load', 2000, 0.25, 'tm-1', 'heap_used', 1000, 123456789.25]);
      else {
        await q("INSERT INTO metric_ids VALUES ('cpu_load', 0), ('heap_used', 1)");
        await q("SELECT setval('metric_id_seq', 1)");
        await q('INSERT INTO sample_rows VALUES ($1, $2, $3), ($4, $5, $6)', ['tm-1', 1000, packRow([0, 1], [0.5, 123456789.25]), 'tm-2', 2000, packRow([0], [0.25])]);
        if (v >= 5) {
          // version 5 keeps sample roll-ups beside the rows (its insertSamples writes both)
          const cells = new RollupCells(2);
          cells.add('tm-1', 1000, 0, 0.5);
          cells.add('tm-1', 1000, 1, 123456789.25);
          cells.add('tm-2', 2000, 0, 0.25);
          for (const r of cells.rows()) await q('INSERT INTO sample_rollups VALUES ($1, $2, $3, $4)', [r.level, r.machine, r.bucket, r.v]);
        }
      }
      await q('INSERT INTO scores VALUES ($1, $2, $3, $4)', ['tm-1', 1000, 0.7, 1]);
      // version 5 keeps score roll-ups beside the scores (its commitStep writes both)
      if (v >= 5) for (const level of [60_000, 300_000, 1_800_000, 7_200_000]) await q('INSERT INTO score_rollups VALUES ($1, $2, $3, $4)', [level, 'tm-1', 0, 0.7]);
      if (v >= 9) {
        // version 9 stores each score's units, its own (1.25, and 1.75 for a later 0.9 in the unit [0.2, 0.6]);
        // 10 replaces them by the level held: the 1.75 holds the 1.25 before it
        await q('UPDATE scores SET units = 1.25');
        await q('INSERT INTO scores VALUES ($1, $2, $3, $4, $5)', ['tm-1', 4000, 0.9, 1, 1.75]);
        await q('UPDATE score_rollups SET max = 0.9, umax = 1.75');
      }
      if (v < 3) {
        await q('INSERT INTO models (kind, path, threshold, created_at, report) VALUES ($1, $2, $3, $4, $5)', ['ccl', '/m.model', 4.5, 7, '{"reason":"manual"}']);
        await q('INSERT INTO incidents VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', ['inc-1', 'tm-1', 'trend', 'acknowledged', 1000, 5000, null, 9,
          JSON.stringify({ segments: 2, explanation: [{ name: 'cpu_load', share: 1, meanZ: 4 }], movers: [], cause: null })]);
      } else {
        await q('INSERT INTO models (kind, path, created_at, report) VALUES ($1, $2, $3, $4)', ['ccl', '/m.model', 7, '{"reason":"manual","legacyThreshold":4.5,"unit:tm-1":[0.2,0.6]}']);
        await q(`INSERT INTO incidents (id, machine, type, state, onset, last_seen, resolved_at, peak, segments, paged, detail, ack_at, ack_by)
          VALUES ('inc-1', 'tm-1', 'trend', 'open', 1000, 5000, NULL, 9, 2, TRUE, $1, 4000, 'ann')`, [JSON.stringify({ explanation: [{ name: 'cpu_load', share: 1, meanZ: 4 }], jobs: [], movers: [], cause: null, events: [] })]);
        if (v === 3) await q("INSERT INTO metric_names VALUES ('cpu_load'), ('heap_used')");
        await q("INSERT INTO machines VALUES ('tm-1', 1000, 1000), ('tm-2', 2000, 2000)");
        // version 6 keeps one outbox row per sink
        await q(`INSERT INTO outbox (${v >= 6 ? 'sink, ' : ''}key, incident_id, kind, created_at, attempts, next_at, delivered_at, last_error) VALUES
          (${v >= 6 ? "'webhook', " : ''}'inc-1:open', 'inc-1', 'open', 1000, 2, 9000, NULL, 'HTTP 503'), (${v >= 6 ? "'webhook', " : ''}'inc-2:open', 'inc-2', 'open', 1500, 1, 1500, 1600, NULL)`);
      }
      await pool.end();
      const s = await PostgresStore.open(url);
      assert.equal(s.schemaVersion, MIGRATIONS.length, `from v${v}`);
      const ser = await s.series('tm-1', ['cpu_load', 'heap_used']);
      assert.deepEqual(Array.from(ser.values), [0.5, 123456789.25], `v${v}: samples packed, float64 exact`);
      assert.deepEqual(await s.machines(), ['tm-1', 'tm-2']);
      assert.equal((await s.latestModel())!.report.legacyThreshold, 4.5);
      const i = (await s.incident('inc-1'))!;
      assert.equal(i.state, 'acknowledged', `v${v}: the acknowledgement survives`);
      assert.deepEqual(i.explanation, [{ name: 'cpu_load', share: 1, meanZ: 4 }]);
      assert.deepEqual((await s.scores('tm-1', 0, 5000)).score, v >= 9 ? [0.7, 0.9] : [0.7]);
      const wide = await s.metricsRange('tm-1', 0, 30 * 86_400_000, 10);
      assert.deepEqual([wide.bucketMs % 7_200_000, wide.channels, wide.values.map((c) => c[0])], [0, ['cpu_load', 'heap_used'], [0.5, 123456789.25]], `v${v}: the existing rows are rolled up`);
      assert.equal((await s.scoresRange('tm-1', 0, 30 * 86_400_000, 10)).values[0][0], v >= 9 ? 0.9 : 0.7, `v${v}: and the scores`);
      // v9: scores whose model's report kept the machine's unit are put on the alarm scale, raw rows and roll-ups; v10:
      // at the level held
      const want = v >= 3 ? (0.7 - 0.2) / (0.6 - 0.2) : 0.7 / 2;
      for (const to of [5000, 30 * 86_400_000]) {
        const got = (await s.heatMap({ from: 0, to, buckets: 10, threshold: 2, machines: ['tm-1'] })).cells[0].find((c) => c !== null)!;
        assert.ok(Math.abs(got - want) < 1e-9, `v${v}, to ${to}: ${got} vs ${want}`);
      }
      if (v >= 3) {
        // v6: the outbox rows are the webhook's, with their ids and delivery state; a second sink gets its own row
        const had = await s.alerts();
        assert.deepEqual(had.map((a) => [a.sink, a.key, a.attempts, a.nextAt, a.deliveredAt, a.lastError]),
          [['webhook', 'inc-1:open', 2, 9000, null, 'HTTP 503'], ['webhook', 'inc-2:open', 1, 1500, 1600, null]], `v${v}: the outbox kept`);
        assert.deepEqual((await s.dueAlerts(10_000, 10, 'webhook')).map((a) => a.key), ['inc-1:open']);
        await s.commitStep({ scores: [], modelId: null, scorerStates: [], incidents: [], alerts: [{ key: 'inc-1:open', incidentId: 'inc-1', kind: 'open', createdAt: 1000, sink: 'alertmanager' }], status: [], meta: {} });
        assert.deepEqual((await s.alerts()).map((a) => a.sink), ['webhook', 'webhook', 'alertmanager'], 'unique per (sink, key)');
        assert.ok((await s.alerts())[2].id > had[1].id, 'new ids after the kept ones');
      }
      assert.equal(await s.insertJobGraphs([{ jobId: 'j', job: 'orders', ts: 1, state: 'RUNNING', vertices: [], edges: [] }]), 1, `v${v}: job graphs can be stored`);
      await s.putEvidence({ incidentId: 'inc-1', kind: 'thread-dump', target: {}, requestedAt: 0, capturedAt: 1, latencyMs: 1, bytes: 2, truncated: false, error: null, body: [] });
      assert.equal((await s.evidence('inc-1')).length, 1, `v${v}: and evidence`);
      // a new metric gets the next id, after the migrated ones
      await s.insertSamples([{ machine: 'tm-1', ts: 3000, metric: 'latency_ms', value: 3 }]);
      assert.deepEqual(await s.metrics(), ['cpu_load', 'heap_used', 'latency_ms']);
      await s.close();
    }
  });

  it('refuses a store from a newer flinkscope and names the location without its password', async () => {
    const url = await freshDb();
    await (await PostgresStore.open(url)).close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('INSERT INTO schema_version VALUES (99, 0)');
    await c.end();
    await assert.rejects(PostgresStore.open(url), /schema version 99/);
    await assert.rejects(openStore(url.replace('flinkscope@', 'flinkscope:secret@').replace(/\/t\d+$/, '/nope')), (e: Error) => /cannot open the store/.test(e.message) && !e.message.includes('secret'));
  });

  it('bears concurrent writers: migrations, the same samples from four connections, steps and new metric names', async () => {
    const url = await freshDb();
    const stores = await Promise.all([0, 1, 2, 3].map(() => PostgresStore.open(url)));
    const batch = (k: number) => Array.from({ length: 400 }, (_, i) => ({ machine: `tm-${i % 20}`, ts: 1000 * Math.floor(i / 20), metric: i % 2 ? 'cpu' : `m${k % 2}`, value: i }));
    const counts = await Promise.all(stores.map((s, k) => s.insertSamples(batch(k))));
    const expected = new Set([0, 1, 2, 3].flatMap((k) => batch(k).map((x) => `${x.machine}/${x.ts}/${x.metric}`))).size;
    assert.equal(counts.reduce((a, b) => a + b, 0), expected, 'every distinct sample counted new exactly once');
    assert.equal((await stores[0].status()).samples, expected);
    assert.deepEqual(await stores[3].metrics(), ['cpu', 'm0', 'm1'], 'names registered by other connections are seen');
    await Promise.all(stores.map((s, k) => s.commitStep({
      scores: [{ machine: `tm-${k}`, points: [{ t: 1, score: k }] }], modelId: null, scorerStates: [{ machine: `tm-${k}`, state: { k } }],
      incidents: [{ id: `inc-p${k}-1`, machine: `tm-${k}`, state: 'open', type: 'spike', onset: 1, lastSeen: 1, peak: 1, segments: 1, explanation: [], jobs: [], movers: [], cause: null, events: [], paged: true }],
      alerts: [{ key: `inc-p${k}-1:open`, incidentId: `inc-p${k}-1`, kind: 'open', createdAt: 1 }], status: [{ machine: `tm-${k}`, lastTs: 1, lastScore: k, risk: k, openIncidents: 1 }], meta: { [`p${k}/nextIncident`]: '2' },
    })));
    assert.equal((await stores[0].incidents()).items.length, 4);
    assert.equal((await stores[1].alerts()).length, 4);
    assert.equal((await stores[2].machineStatus()).length, 4);
    await Promise.all(stores.map((s) => s.close()));
  });
});
