// CCL's cost part (src/detectors/ccl/cost.ts): a machine spending more busy time (and CPU) per record it reads stands
// out; the daily load, a burst, a back-pressured machine (less busy per record) and a restart do not.
import { describe, it } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { COST_SHARE_FLOOR, RECORDS_METER_MS, costChannels, costScores, fitCost } from '../../../src/detectors/ccl/cost.js';
import { poolPrepared, prepareInput, prepareTraining, type PreparedInput } from '../../../src/detectors/input.js';
import { Rng } from '../../../src/tensor/index.js';
import { CCLDetector } from '../../../src/detectors/ccl/ccl.js';
import type { Series } from '../../../src/core/series.js';

const CHANNELS = ['cpu_load', 'records_in_per_s', 'busy_ms_per_s', 'latency_ms'];

interface Episodes {
  /** [from, to): busy time and CPU per record creep up to `rise` × (a slow rise: a leak, growing state). */
  creep?: [number, number];
  rise?: number;
  /** [from, to): records ×3 (and busy time with them). */
  burst?: [number, number];
  /** [from, to): back-pressured — the same records, 0.6 × the busy time. */
  throttled?: [number, number];
  /** [from, to): a restart — records and busy time at 5 %. */
  restart?: [number, number];
  /** [from, to): a job restoring its state — records at 2 %, busy time at half its level (more per record). */
  stall?: [number, number];
}

/** One machine under a daily load with 3 % noise; busy time and CPU follow the records (`perRecord` × a base cost:
 *  machines differ in what a record costs them). */
function machine(T: number, seed: number, e: Episodes = {}, perRecord = 1): PreparedInput {
  const rng = new Rng(seed);
  const values = new Float32Array(T * 4);
  const on = (w: [number, number] | undefined, t: number): boolean => w !== undefined && t >= w[0] && t < w[1];
  for (let t = 0; t < T; t++) {
    let load = 300 + 200 * Math.sin(t / 60);
    if (on(e.burst, t)) load *= 3;
    if (on(e.restart, t)) load *= 0.05;
    let cost = 1;
    if (on(e.creep, t)) cost = 1 + ((e.rise ?? 1.5) - 1) * ((t - e.creep![0] + 1) / (e.creep![1] - e.creep![0]));
    if (on(e.throttled, t)) cost = 0.6;
    if (on(e.stall, t)) cost = 25;
    const r = load * (on(e.stall, t) ? 0.02 : 1) * (1 + 0.03 * rng.normal());
    const busy = 0.8 * perRecord * load * cost * (1 + 0.03 * rng.normal());
    values.set([0.0005 * load * cost * (1 + 0.03 * rng.normal()), r, busy, 50 + 0.05 * load + 2 * rng.normal()], t * 4);
  }
  return { T, C: 4, values, channels: CHANNELS, report: { interpolated: 0, emptyChannels: [], droppedChannels: [] } };
}
const max = (a: Float32Array, i: number, j: number): number => Math.max(...a.subarray(i, j));

describe('CCL cost part', () => {
  it('reads busy time (with cpu also CPU load) over records_in; nothing without either', () => {
    assert.deepEqual(costChannels(CHANNELS, 'busy'), { channels: [2], records: 1 });
    assert.deepEqual(costChannels(CHANNELS, 'cpu'), { channels: [0, 2], records: 1 });
    assert.equal(costChannels(['cpu_load', 'busy_ms_per_s'], 'busy'), null, 'no records_in');
    assert.equal(costChannels(['cpu_load', 'records_in_per_s'], 'busy'), null, 'no busy time');
    assert.equal(fitCost({ ...machine(100, 1), channels: ['a', 'b', 'c', 'd'] }, 'busy'), null);
  });

  it('a creeping cost per record stands out long before the load explains it; load, bursts, back-pressure and restarts do not', () => {
    const norm = fitCost(machine(2000, 1, { restart: [900, 903] }), 'cpu')!;
    assert.ok(norm, 'fitted');
    const test = machine(1200, 2, { creep: [600, 900], rise: 1.5, burst: [100, 130], throttled: [300, 360], restart: [450, 453], stall: [500, 530] });
    const s = costScores(test, norm);
    // normal life, a shared burst, back-pressure, a restart and a stall whose busy time outlasts its records (fewer
    // records than the floor: no cost per record to speak of): the part says nothing (−∞)
    assert.equal(max(s, 0, 600), -Infinity, `before the creep: ${max(s, 0, 600)}`);
    // the creep: +50 % per record at its end, already seen well before (at +25 %, half-way)
    const first = s.subarray(600, 900).findIndex((v) => v > -Infinity);
    assert.ok(first >= 0 && first < 150, `first spoke ${first} rows into the creep`);
    assert.ok(max(s, 850, 900) >= Math.max(...norm.gate), `end of the creep ${max(s, 850, 900)} vs gates ${norm.gate.map((g) => g.toFixed(2))}`);
    // busy alone sees it too
    const busy = fitCost(machine(2000, 1), 'busy')!;
    assert.ok(max(costScores(test, busy), 850, 900) > -Infinity);
    // the last rows alone (what the online loop asks for) are the same as scored with the whole input
    const tail = costScores(test, norm, 880);
    assert.deepEqual(Array.from(tail.subarray(880)), Array.from(s.subarray(880)));
    assert.equal(max(tail, 0, 880), -Infinity, 'rows before `from` are not scored');
    // without the floor the stall would speak
    assert.ok(max(costScores(test, { ...norm, recordsFloor: 0 }), 500, 540) > -Infinity, 'the stall is a cost per record above the gate');
  });
});

describe('CCL cost part: what the records meter and a gap in the data do', () => {
  // Flink's records rate is a meter over RECORDS_METER_MS: after a restart it fills for that long while busy time is
  // back at once. A gap (a TaskManager lost) is filled in by prepareInput, towards the first readings after it.
  const step = 2000; // flink-lab's scrape interval: the meter fills over 30 rows
  const asSeries = (x: PreparedInput, name: string): Series => ({
    name, channels: [...x.channels], values: Float64Array.from(x.values), timestamps: Float64Array.from({ length: x.T }, (_, t) => 1.7e12 + t * step),
  });
  const rec = 1; // records_in
  const busy = 2;
  it('a restart: the rows while the meter fills again have no cost part', () => {
    const norm = fitCost(prepareTraining(asSeries(machine(2000, 1), 'tm-1'), null), 'busy')!;
    assert.equal(norm.warmRows, RECORDS_METER_MS / step);
    const x = machine(1200, 2);
    const level = (t: number): number => x.values[t * 4 + rec];
    for (let t = 400; t < 403; t++) x.values[t * 4 + rec] = 0; // the job restarts
    for (let t = 403; t < 433; t++) x.values[t * 4 + rec] = (level(t) * (t - 402)) / 30; // the meter fills; busy time is back
    const s = costScores(x, norm);
    assert.equal(max(s, 0, 1200), -Infinity, `the part says nothing: ${max(s, 0, 1200)}`);
    assert.ok(max(costScores(x, { ...norm, warmRows: 1 }), 403, 433) > -Infinity, 'without the warm-up the filling meter is a cost per record above the gate');
    // a model saved before warmRows existed reads 1 row
    const { warmRows: _, ...old } = norm;
    assert.ok(max(costScores(x, old), 403, 433) > -Infinity);
  });
  it('a gap: values filled in over it are no measurement and have no cost part', () => {
    const norm = fitCost(prepareTraining(asSeries(machine(2000, 1), 'tm-1'), null), 'busy')!;
    const raw = asSeries(machine(1200, 2), 'tm-1');
    const v = raw.values as Float64Array;
    for (let t = 700; t < 718; t++) v.fill(NaN, t * 4, t * 4 + 4); // the TaskManager is lost
    v[718 * 4 + rec] = 0; // its first reading after the restart: no records yet, busy time ×7 (state restored)
    v[718 * 4 + busy] *= 7;
    const x = prepareInput(raw, null);
    assert.ok(x.missing && x.missing[705 * 4 + busy] === 1 && x.missing[719 * 4 + busy] === 0, 'the filled rows are known');
    assert.equal(max(costScores(x, norm), 0, 1200), -Infinity);
    assert.ok(max(costScores({ ...x, missing: undefined }, norm), 700, 718) > -Infinity, 'read as measurements, the filled rows would speak');
    // pooled with a machine that missed nothing, the filled rows stay where they were; the scrape interval is kept
    const pool = poolPrepared([machine(100, 3), prepareTraining(raw, null)]);
    assert.equal(pool.missing?.[(100 + 705) * 4 + busy], 1);
    assert.equal(pool.missing?.[50 * 4 + busy], 0);
    assert.equal(pool.intervalMs, step);
    // the last rows alone, as the online loop asks for them, are the same
    const all = costScores(x, norm);
    assert.deepEqual(Array.from(costScores(x, norm, 720).subarray(720)), Array.from(all.subarray(720)));
  });
});

describe("CCL cost part, fitted on a cluster with costLevel 'machine'", () => {
  const named = (x: PreparedInput, name: string): PreparedInput => ({ ...x, name });
  it("measures each machine from its own level: a creep of +30 % on the cheaper machine is seen, the dearer machine's normal level is not, an unknown machine has none", () => {
    // four machines whose records cost them 1, 1.3, 1.7 and 2.2 × as much: pooled, their levels spread the gate
    const costs = [1, 1.3, 1.7, 2.2];
    const pooled = poolPrepared(costs.map((c, m) => named(machine(1500, 10 + m, {}, c), `tm-${m}`)));
    const norm = fitCost(pooled, 'busy', 'machine')!;
    assert.deepEqual(Object.keys(norm.levels!), ['tm-0', 'tm-1', 'tm-2', 'tm-3']);
    const creep = named(machine(900, 20, { creep: [400, 700], rise: 1.3 }, 1), 'tm-0');
    const s = costScores(creep, norm);
    assert.equal(max(s, 0, 400), -Infinity, 'before the creep');
    assert.ok(max(s, 650, 700) >= Math.max(...norm.gate), `end of the creep ${max(s, 650, 700)} vs gate ${norm.gate[0].toFixed(2)}`);
    assert.equal(max(costScores(named(machine(900, 21, {}, 2.2), 'tm-3'), norm), 0, 900), -Infinity, 'the dearest machine at its own level');
    assert.equal(max(costScores(named(machine(900, 22, {}, 1), 'tm-9'), norm), 0, 900), -Infinity, 'no level, no part');
    assert.equal(max(costScores(named(machine(900, 22, {}, 1), '__proto__'), norm), 0, 900), -Infinity, 'a name is only a key');
    // one level for the pool: the same creep stays under the gate the machines' spread sets
    const one = fitCost(pooled, 'busy')!;
    assert.equal(one.levels, undefined);
    assert.equal(max(costScores(creep, one), 400, 700), -Infinity, 'the pooled level misses it');
  });
});

/** Three machines of one job, each with its peers' mean (what a cluster's collectors give): half of the busy time is
 *  fixed (timers, checkpoints, GC), half is spent per record. `skew` [from, to): tm-2 reads 2.2 × its records and tm-0
 *  and tm-1 0.4 ×, starved; `creep` on tm-1: its busy time creeps up to 1.8 ×, its share unchanged. */
function job(T: number, seed: number, e: { skew?: [number, number]; creep?: [number, number] } = {}): PreparedInput[] {
  const rng = new Rng(seed);
  const C = CHANNELS.length;
  const on = (w: [number, number] | undefined, t: number): boolean => w !== undefined && t >= w[0] && t < w[1];
  const values = [0, 1, 2].map(() => new Float32Array(T * C));
  for (let t = 0; t < T; t++) {
    const load = 300 + 30 * Math.sin(t / 60);
    for (let m = 0; m < 3; m++) {
      const share = on(e.skew, t) ? (m === 2 ? 2.2 : 0.4) : 1;
      const slower = m === 1 && on(e.creep, t) ? 1 + 0.8 * ((t - e.creep![0] + 1) / (e.creep![1] - e.creep![0])) : 1;
      const r = load * share * (1 + 0.03 * rng.normal());
      const busy = (0.5 * 300 + 0.5 * load * share) * slower * (1 + 0.03 * rng.normal());
      values[m].set([0.0005 * busy, r, busy, 50 + 0.05 * load + 2 * rng.normal()], t * C);
    }
  }
  return values.map((v, m) => {
    const peer = new Float32Array(T * C);
    for (let i = 0; i < T * C; i++) peer[i] = (values[(m + 1) % 3][i] + values[(m + 2) % 3][i]) / 2;
    return { T, C, values: v, channels: CHANNELS, peer, name: `tm-${m}`, report: { interpolated: 0, emptyChannels: [], droppedChannels: [] } };
  });
}

describe('CCL cost part: a machine starved of its share of the records', () => {
  for (const level of ['pool', 'machine'] as const) {
    it(`(${level}) says nothing while a skew elsewhere starves it; a creep that keeps its share is seen`, () => {
      const norm = fitCost(poolPrepared(job(1500, 50)), 'busy', level)!;
      assert.deepEqual(Object.keys(norm.shares!.machines!), ['tm-0', 'tm-1', 'tm-2']);
      const skewed = job(900, 51, { skew: [400, 600] });
      // the starved machines' cost per record rises (their fixed busy time over fewer records) …
      const bare = { ...norm, shares: undefined };
      assert.ok(max(costScores(skewed[0], bare), 400, 600) > -Infinity, 'without the share floor a starved peer speaks');
      // … but they read less than COST_SHARE_FLOOR of their share: no cost part; the rest of the time neither
      for (const m of [0, 1]) assert.equal(max(costScores(skewed[m], norm), 0, 900), -Infinity, `tm-${m}`);
      const creep = job(900, 52, { creep: [300, 700] });
      const s = costScores(creep[1], norm);
      assert.equal(max(s, 0, 300), -Infinity, 'before the creep');
      assert.ok(max(s, 650, 700) >= Math.max(...norm.gate), `end of the creep ${max(s, 650, 700)}`);
      // the online loop's last rows (peers from a later row on, as it computes them) score as the whole series
      const from = 680;
      const p0 = from - 14; // the cost part reads the peers 2 × 7 rows before its first row
      const tail = costScores({ ...creep[1], peer: creep[1].peer!.subarray(p0 * creep[1].C), peerFrom: p0 }, norm, from);
      assert.deepEqual(Array.from(tail.subarray(from)), Array.from(s.subarray(from)));
      // a machine the fit has no share for keeps the part (as it has no starved rows to tell)
      const stranger = costScores({ ...skewed[0], name: 'tm-9' }, norm);
      if (level === 'pool') assert.ok(max(stranger, 400, 600) > -Infinity, 'no share level: no starved rows');
      assert.ok(COST_SHARE_FLOOR > 0 && COST_SHARE_FLOOR < 1);
    });
  }
});

describe('CCL with the cost part', () => {
  const series = (x: PreparedInput, t0: number): Series => ({ name: 'tm-0', timestamps: Float64Array.from({ length: x.T }, (_, i) => t0 + i), channels: CHANNELS, values: x.values });
  const params = { window: 16, stride: 4, epochs: 1, maxTrainWindows: 64, batchSize: 16, d: 8, heads: 2, ffn: 16, patchSizes: [4], negatives: 2 };

  it('scores a series alone with it, is the larger of the network part and it, and keeps it across save and load', async () => {
    const train = series(machine(800, 1), 0);
    const test = series(machine(700, 2, { creep: [400, 700], rise: 1.6 }), 10_000);
    const plain = new CCLDetector({ ...params, cost: 'none' });
    const cost = new CCLDetector({ ...params, cost: 'cpu' });
    await plain.fit(train);
    await cost.fit(train);
    assert.equal(cost.fittedAs.cost, undefined, 'the cost part was learnt (alone: no peer view, no skew part)');
    const single = new CCLDetector({ ...params, cost: 'cpu', costLevel: 'machine' });
    await single.fit(train);
    assert.equal(single.fittedAs.costLevel, 'pool', 'one series has one level, and the provenance says so');
    const a = plain.score(test);
    const b = cost.score(test);
    for (let t = 0; t < a.length; t++) assert.ok(b[t] >= a[t] - 1e-6, `row ${t}: ${b[t]} < ${a[t]}`);
    assert.ok(max(b, 650, 700) > max(a, 650, 700), 'the creep scores higher with the cost part');
    const path = join(mkdtempSync(join(tmpdir(), 'ccl-cost-')), 'm.model');
    cost.save(path);
    const loaded = new CCLDetector({ ...params, cost: 'cpu' }).loadFrom(path);
    assert.deepEqual(Array.from(loaded.score(test)), Array.from(b));
    // the online loop's trailing rows score as the whole series does
    const trailing = cost.scoreTrailing([test], [3])[0];
    assert.deepEqual(Array.from(trailing), Array.from(b.subarray(b.length - 3)));
    // without its channels the part is not there, and the detector says so
    const bare = new CCLDetector({ ...params, cost: 'busy' });
    await bare.fit({ ...train, channels: ['a', 'b', 'c', 'd'] });
    assert.equal(bare.fittedAs.cost, 'none');
  });

  it("costLevel 'machine': fitted on a cluster, scores each machine against its own level, by the name of its series", async () => {
    const costs = [1, 1.5, 2.2];
    const train = costs.map((c, m) => ({ ...series(machine(800, 30 + m, {}, c), 0), name: `tm-${m}` }));
    const cost = new CCLDetector({ ...params, cost: 'busy', costLevel: 'machine', peers: 'none', skew: 'none' });
    await cost.fitCluster(train);
    const creep = { ...series(machine(700, 40, { creep: [300, 700], rise: 1.4 }, 1), 10_000), name: 'tm-0' };
    const [own] = cost.scoreTrailing([creep], [50]);
    const [stranger] = cost.scoreTrailing([{ ...creep, name: 'tm-7' }], [50]);
    assert.ok(Math.max(...own) > Math.max(...stranger), `tm-0 at its own level ${Math.max(...own)} vs a machine without one ${Math.max(...stranger)}`);
    const path = join(mkdtempSync(join(tmpdir(), 'ccl-cost-')), 'm.model');
    cost.save(path);
    const loaded = new CCLDetector({ ...params, cost: 'busy', costLevel: 'machine', peers: 'none', skew: 'none' }).loadFrom(path);
    assert.deepEqual(Array.from(loaded.scoreTrailing([creep], [50])[0]), Array.from(own));
  });
});
