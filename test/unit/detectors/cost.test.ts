// CCL's cost part (src/detectors/ccl/cost.ts): a machine spending more busy time (and CPU) per record it reads stands
// out; the daily load, a burst, a back-pressured machine (less busy per record) and a restart do not.
import { describe, it } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { costChannels, costScores, fitCost } from '../../../src/detectors/ccl/cost.js';
import type { PreparedInput } from '../../../src/detectors/input.js';
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

/** One machine under a daily load with 3 % noise; busy time and CPU follow the records. */
function machine(T: number, seed: number, e: Episodes = {}): PreparedInput {
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
    const busy = 0.8 * load * cost * (1 + 0.03 * rng.normal());
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
});
