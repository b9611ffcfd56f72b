// Root cause on the job graph (pure): the walk from a machine's back-pressured subtasks downstream to the first busy,
// not back-pressured ones — through hash and forward edges — the machine's own hot subtask for other incidents,
// averaging of snapshots, and the cause in the incident's form. Against the real cluster: test/integration/app/rootcause.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { averageSnapshots, causeFromGraph, graphCause } from '../../../src/inspect/rootcause.js';
import type { Incident } from '../../../src/core/incident.js';
import type { JobGraphSnapshot, VertexState } from '../../../src/core/jobgraph.js';

const inc = (machine: string, type: Incident['type'] = 'backpressure', id = `i-${machine}`): Incident => ({ id, machine, state: 'open', type, onset: 0, lastSeen: 100, peak: 5, segments: 1 });
/** A vertex of 3 subtasks, subtask i on tm-(i+1), with (busy, back-pressured) shares per subtask. */
const vertex = (id: string, shares: [number, number][], machines = ['tm-1', 'tm-2', 'tm-3']): VertexState => ({
  id, name: id, parallelism: shares.length,
  subtasks: shares.map(([busy, backpressure], index) => ({ index, machine: machines[index], status: 'RUNNING', attempt: 0, busy, backpressure })),
});
const job = (vertices: VertexState[], edges: [string, string, string][], ts = 50): JobGraphSnapshot =>
  ({ jobId: 'j1', job: 'orders', ts, state: 'RUNNING', vertices, edges: edges.map(([from, to, ship]) => ({ from, to, ship })) });

// orders: source → (hash) score → (hash) window → (forward) sink
const orders = (p: { score?: [number, number][]; window?: [number, number][]; sink?: [number, number][]; source?: [number, number][] } = {}): JobGraphSnapshot => job([
  vertex('source', p.source ?? [[0.1, 0.8], [0.1, 0.9], [0.1, 0.85]]),
  vertex('score', p.score ?? [[0.2, 0], [0.3, 0], [1, 0]]),
  vertex('window', p.window ?? [[0.1, 0], [0.1, 0], [0.1, 0]]),
  vertex('sink', p.sink ?? [[0.05, 0], [0.05, 0], [0.05, 0]]),
], [['source', 'score', 'HASH'], ['score', 'window', 'HASH'], ['window', 'sink', 'FORWARD']]);

describe('root cause on the job graph', () => {
  it('hot operator behind a hash edge: every back-pressured machine names the hot subtask and its TaskManager', () => {
    for (const m of ['tm-1', 'tm-2', 'tm-3']) {
      const c = graphCause(inc(m), [orders()]);
      assert.ok(c, `a cause for ${m}`);
      assert.equal(c.vertex, 'score');
      assert.equal(c.walk, 'downstream');
      assert.deepEqual(c.path, ['source', 'score']);
      assert.deepEqual(c.subtasks.map((s) => [s.index, s.machine]), [[2, 'tm-3']], 'only the busy subtask, not its idle siblings');
      assert.deepEqual(c.machines, ['tm-3']);
    }
  });

  it('slow sink behind a forward edge: the walk follows the same subtask index only', () => {
    // window #1 waits on sink #1; sink #2 is busy too, but nothing upstream waits on it — it is not the cause
    const g = orders({ score: [[0.2, 0.7], [0.2, 0.7], [0.2, 0.7]], window: [[0.1, 0], [0.1, 0.9], [0.1, 0]], sink: [[0.05, 0], [0.97, 0], [0.99, 0]] });
    const c = graphCause(inc('tm-1'), [g])!;
    assert.equal(c.vertex, 'sink');
    assert.deepEqual(c.path, ['score', 'window', 'sink'], 'from the nearest back-pressured vertex on the machine');
    assert.deepEqual(c.subtasks.map((s) => [s.index, s.machine]), [[1, 'tm-2']]);
    // the same job with a hash edge into the sink: both busy sink subtasks are named, busiest first
    const hashed = { ...g, edges: g.edges.map((e) => (e.to === 'sink' ? { ...e, ship: 'HASH' } : e)) };
    assert.deepEqual(graphCause(inc('tm-1'), [hashed])!.subtasks.map((s) => s.index), [2, 1]);
  });

  it('other incident types name the machine\'s own hot subtask first; nothing busy and nothing waiting is no cause', () => {
    const c = graphCause(inc('tm-3', 'sustained-high'), [orders()])!;
    assert.deepEqual([c.walk, c.vertex, c.subtasks[0].index, c.subtasks[0].machine], ['local', 'score', 2, 'tm-3']);
    // tm-1 runs nothing hot itself, but its source waits: the walk still finds the cause downstream
    assert.equal(graphCause(inc('tm-1', 'level-shift'), [orders()])!.walk, 'downstream');
    const calm = orders({ source: [[0.1, 0], [0.1, 0], [0.1, 0]], score: [[0.2, 0], [0.3, 0], [0.3, 0]] });
    assert.equal(graphCause(inc('tm-1'), [calm]), null);
    // a back-pressured machine whose downstream is itself waiting on something not reported: no guess
    const unknown = orders({ score: [[NaN, NaN], [NaN, NaN], [NaN, NaN]] });
    assert.equal(graphCause(inc('tm-1'), [unknown]), null);
  });

  it('thresholds: busy enough and not back-pressured (Flink\'s OK level) by default, adjustable', () => {
    const g = orders({ score: [[0.2, 0], [0.3, 0], [0.45, 0]] });
    assert.equal(graphCause(inc('tm-1'), [g]), null, '45 % busy is not a bottleneck at the default 50 %');
    assert.equal(graphCause(inc('tm-1'), [g], { busyMin: 0.4 })!.subtasks[0].index, 2);
    const waiting = orders({ score: [[0.2, 0], [0.3, 0], [0.9, 0.3]] });
    assert.equal(graphCause(inc('tm-1'), [waiting]), null, 'a busy subtask that is itself back-pressured is not where the walk stops');
  });

  it('several jobs: the operator with the busiest subtask wins', () => {
    const other: JobGraphSnapshot = { ...job([vertex('a', [[0.1, 0.6], [0.1, 0.6], [0.1, 0.6]]), vertex('b', [[0.6, 0], [0.1, 0], [0.1, 0]])], [['a', 'b', 'REBALANCE']]), jobId: 'j2', job: 'clicks' };
    const c = graphCause(inc('tm-1'), [other, orders()])!;
    assert.deepEqual([c.job, c.vertex], ['orders', 'score']);
  });

  it('averages the shares over the incident\'s snapshots; a subtask that moved starts a new average', () => {
    const a = orders({ score: [[0.2, 0], [0.3, 0], [0.6, 0]] });
    const b = { ...orders({ score: [[0.2, 0], [0.3, 0], [1, 0]] }), ts: 60 };
    const avg = averageSnapshots([b, a]);
    assert.equal(avg.length, 1);
    assert.equal(avg[0].ts, 60, 'the newest snapshot gives the structure');
    assert.ok(Math.abs(avg[0].vertices[1].subtasks[2].busy - 0.8) < 1e-9);
    const moved = { ...orders({ score: [[0.2, 0], [0.3, 0], [0.1, 0]] }), ts: 70 };
    moved.vertices[1].subtasks[2].machine = 'tm-1';
    const avg2 = averageSnapshots([a, b, moved]);
    assert.deepEqual([avg2[0].vertices[1].subtasks[2].machine, avg2[0].vertices[1].subtasks[2].busy], ['tm-1', 0.1]);
    const nan = averageSnapshots([{ ...a, vertices: a.vertices.map((v) => ({ ...v, subtasks: v.subtasks.map((t) => ({ ...t, busy: NaN })) })) }, b]);
    assert.equal(nan[0].vertices[1].subtasks[2].busy, 1, 'an unreported share is skipped, not averaged as 0');
  });

  it('the cause in the incident\'s form: the hot subtask\'s TaskManager, busy in ms/s, whether it had an incident too', () => {
    const g = graphCause(inc('tm-1'), [orders()])!;
    const quiet = causeFromGraph(inc('tm-1'), g, []);
    assert.deepEqual({ ...quiet, graph: undefined }, { machine: 'tm-3', busy: 1000, jobs: ['orders'], anomalous: false, graph: undefined });
    assert.equal(quiet.graph, g);
    assert.equal(causeFromGraph(inc('tm-1'), g, [{ ...inc('tm-3', 'sustained-high'), onset: 90, lastSeen: 200 }]).anomalous, true);
  });
});
