// Root cause on the job graph (pure): the walk from a machine's back-pressured subtasks downstream to the first busy,
// not back-pressured ones — through hash and forward edges — the machine's own hot subtask for other incidents,
// averaging of snapshots, and the cause in the incident's form. Against the real cluster: test/integration/app/rootcause.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { causeFromGraph, causeOverTime, graphCause } from '../../../src/inspect/rootcause.js';
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

  it('over an incident\'s span: each poll walked on its own, the operator most polls name wins, shares averaged over them', () => {
    const calm = { ...orders({ source: [[0.1, 0], [0.1, 0], [0.1, 0]], score: [[0.2, 0], [0.3, 0], [0.9, 0]] }), ts: 10 };
    const p1 = { ...orders({ score: [[0.2, 0], [0.3, 0], [0.8, 0]] }), ts: 20 };
    const p2 = { ...orders({ score: [[0.2, 0], [0.3, 0], [1, 0]] }), ts: 30 };
    // a poll where the sink looked like the bottleneck (noise): outvoted
    const odd = { ...orders({ score: [[0.2, 0.5], [0.3, 0.5], [0.4, 0.5]], sink: [[0.9, 0], [0.1, 0], [0.1, 0]] }), ts: 40 };
    const c = causeOverTime(inc('tm-1'), [odd, p2, calm, p1])!;
    assert.deepEqual([c.vertex, c.subtasks.map((x) => [x.index, x.machine])], ['score', [[2, 'tm-3']]]);
    assert.ok(Math.abs(c.subtasks[0].busy - 0.9) < 1e-9, 'averaged over the two polls that named it; the calm poll before the back-pressure does not dilute it');
    assert.equal(causeOverTime(inc('tm-1'), [calm]), null);
    assert.equal(causeOverTime(inc('tm-1'), []), null);
    // another job's snapshot at the same poll time is walked together with it
    const clicks: JobGraphSnapshot = { ...job([vertex('a', [[0.1, 0.6], [0.1, 0.6], [0.1, 0.6]]), vertex('b', [[0.95, 0], [0.1, 0], [0.1, 0]])], [['a', 'b', 'REBALANCE']], 30), jobId: 'j2', job: 'clicks' };
    assert.equal(causeOverTime(inc('tm-1'), [p1, { ...clicks, ts: 20 }])!.job, 'clicks', 'the busiest bottleneck of the poll (0.95 vs 0.8), across jobs');
    assert.equal(causeOverTime(inc('tm-1'), [p2, clicks])!.job, 'orders', '1.0 vs 0.95');
    // the hot subtask moved (a restart elsewhere): the placement it had in most of the naming polls
    const moved = { ...orders({ score: [[0.2, 0], [0.3, 0], [1, 0]] }), ts: 50 };
    moved.vertices[1].subtasks[2].machine = 'tm-1';
    assert.deepEqual(causeOverTime(inc('tm-2'), [p1, p2, moved])!.subtasks.map((x) => x.machine), ['tm-3']);
  });

  it('over the span the incident type\'s walk outranks the fallback: the bottleneck\'s own machine, back-pressured late, names it downstream', () => {
    // tm-3 hosts the hot score #2; its source waits only from the 4th poll on (Flink's 60 s windows catch up slowly)
    const early = [10, 20, 30].map((ts) => ({ ...orders({ source: [[0.1, 0], [0.1, 0], [0.1, 0]], score: [[0.2, 0], [0.3, 0], [0.9, 0]] }), ts }));
    const late = [40, 50].map((ts) => ({ ...orders(), ts }));
    const c = causeOverTime(inc('tm-3'), [...early, ...late])!;
    assert.deepEqual([c.walk, c.vertex, c.subtasks[0].index, c.subtasks[0].machine], ['downstream', 'score', 2, 'tm-3']);
    assert.equal(causeOverTime(inc('tm-3'), early)!.walk, 'local', 'never back-pressured: the fallback');
    assert.equal(causeOverTime(inc('tm-3', 'sustained-high'), [...early, ...late])!.walk, 'local', 'its own busy time: local in every poll');
  });

  it('the cause in the incident\'s form: the hot subtask\'s TaskManager, busy in ms/s, whether it had an incident too', () => {
    const g = graphCause(inc('tm-1'), [orders()])!;
    const quiet = causeFromGraph(inc('tm-1'), g, []);
    assert.deepEqual({ ...quiet, graph: undefined }, { machine: 'tm-3', busy: 1000, jobs: ['orders'], anomalous: false, graph: undefined });
    assert.equal(quiet.graph, g);
    assert.equal(causeFromGraph(inc('tm-1'), g, [{ ...inc('tm-3', 'sustained-high'), onset: 90, lastSeen: 200 }]).anomalous, true);
  });
});
