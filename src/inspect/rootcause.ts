// Root cause on the job graph: which operator on which TaskManager an incident comes from. Back-pressure travels
// upstream, so for a back-pressure incident this starts at the machine's back-pressured subtasks and walks the job's
// plan downstream, subtask by subtask (a FORWARD edge leads to the same subtask index, every other ship strategy to
// all of them), through subtasks that are back-pressured themselves, to the first ones that are busy and not
// back-pressured: the bottleneck. Flink's web UI teaches the same reading (back-pressure tab: the first vertex that is
// busy and not back-pressured). For any other incident the cause is the machine's own busiest subtask, when it is
// busy. Over an incident's span each poll's graphs are walked on their own (with that poll's placement) and the
// operator named most often wins — polls from before the back-pressure built up name nothing (or only the fallback
// walk, which counts only when no poll has the type's own) and do not dilute it; its subtasks' shares are averaged
// over the polls that named it. Pure: snapshots in, a cause out.
import type { BackpressureCause, GraphCause, Incident } from '../core/incident.js';
import type { JobGraphSnapshot, VertexState } from '../core/jobgraph.js';

export interface RootCauseOptions {
  /** A subtask at least this busy (share of time) can be the bottleneck. Default 0.5. */
  busyMin?: number;
  /** A subtask back-pressured more than this is waiting on something downstream. Default 0.1 — Flink's own "OK"
   *  level (its UI calls 0.1–0.5 LOW and above HIGH). */
  backpressureMax?: number;
}

interface Sub { v: VertexState; index: number; machine: string; busy: number; bp: number }

/** The bottleneck subtasks reached from the back-pressured subtasks on `machine` (with the vertex path to each). */
function walkDownstream(g: JobGraphSnapshot, machine: string, busyMin: number, bpMax: number): { cause: Sub[]; path: Map<Sub, string[]> } {
  const subs = new Map<string, Sub>(); // `${vertexId}#${index}`
  for (const v of g.vertices) for (const t of v.subtasks) subs.set(`${v.id}#${t.index}`, { v, index: t.index, machine: t.machine, busy: t.busy, bp: t.backpressure });
  const out = new Map<string, string[]>();
  for (const e of g.edges) (out.get(e.from) ?? out.set(e.from, []).get(e.from)!).push(e.to);
  const ship = new Map(g.edges.map((e) => [`${e.from}>${e.to}`, e.ship]));
  const byId = new Map(g.vertices.map((v) => [v.id, v]));
  const pressed = (s: Sub): boolean => Number.isFinite(s.bp) && s.bp > bpMax;
  const hot = (s: Sub): boolean => Number.isFinite(s.busy) && s.busy >= busyMin && Number.isFinite(s.bp) && s.bp <= bpMax;
  // breadth first, so each cause keeps the shortest path to it
  const path = new Map<Sub, string[]>();
  const queue: Sub[] = [...subs.values()].filter((s) => s.machine === machine && pressed(s));
  for (const s of queue) path.set(s, [s.v.name]);
  const cause: Sub[] = [];
  for (let i = 0; i < queue.length; i++) {
    const s = queue[i];
    for (const to of out.get(s.v.id) ?? []) {
      const w = byId.get(to);
      if (!w) continue;
      const forward = ship.get(`${s.v.id}>${to}`) === 'FORWARD' && w.parallelism === s.v.parallelism;
      for (const t of w.subtasks) {
        if (forward && t.index !== s.index) continue;
        const d = subs.get(`${w.id}#${t.index}`)!;
        if (path.has(d)) continue;
        if (hot(d)) {
          path.set(d, [...path.get(s)!, w.name]);
          cause.push(d);
        } else if (pressed(d)) {
          path.set(d, [...path.get(s)!, w.name]);
          queue.push(d);
        }
      }
    }
  }
  return { cause, path };
}

function toCause(g: JobGraphSnapshot, walk: GraphCause['walk'], hotSubs: Sub[], path: string[]): GraphCause {
  const sorted = [...hotSubs].sort((a, b) => b.busy - a.busy || a.index - b.index);
  return {
    job: g.job, jobId: g.jobId, vertexId: sorted[0].v.id, vertex: sorted[0].v.name, walk, path,
    subtasks: sorted.map((s) => ({ index: s.index, machine: s.machine, busy: s.busy, backpressure: s.bp })),
    machines: [...new Set(sorted.map((s) => s.machine))],
  };
}

/**
 * The cause of an incident on the given graphs (averaged over the incident: averageSnapshots), or null when the
 * graphs show none: no back-pressured subtask on the machine leads to a busy one, and none of its own is busy.
 * Among several candidate operators the one with the busiest subtask wins.
 */
export function graphCause(inc: Incident, graphs: readonly JobGraphSnapshot[], o: RootCauseOptions = {}): GraphCause | null {
  const busyMin = o.busyMin ?? 0.5;
  const bpMax = o.backpressureMax ?? 0.1;
  const best = (cands: GraphCause[]): GraphCause | null => cands.sort((a, b) => b.subtasks[0].busy - a.subtasks[0].busy || a.path.length - b.path.length)[0] ?? null;
  const downstream = (): GraphCause | null => best(graphs.flatMap((g) => {
    const { cause, path } = walkDownstream(g, inc.machine, busyMin, bpMax);
    const perVertex = new Map<string, Sub[]>();
    for (const s of cause) (perVertex.get(s.v.id) ?? perVertex.set(s.v.id, []).get(s.v.id)!).push(s);
    return [...perVertex.values()].map((subs) => {
      const top = [...subs].sort((a, b) => b.busy - a.busy)[0];
      return toCause(g, 'downstream', subs, path.get(top)!);
    });
  }));
  const local = (): GraphCause | null => best(graphs.flatMap((g) => g.vertices.map((v) => {
    const subs = v.subtasks.filter((t) => t.machine === inc.machine && Number.isFinite(t.busy) && t.busy >= busyMin && Number.isFinite(t.backpressure) && t.backpressure <= bpMax)
      .map((t) => ({ v, index: t.index, machine: t.machine, busy: t.busy, bp: t.backpressure }));
    return subs.length ? toCause(g, 'local', subs, [v.name]) : null;
  }).filter((c): c is GraphCause => c !== null)));
  // back-pressure points away from the machine; anything else first looks at the machine's own work
  return inc.type === 'backpressure' ? downstream() ?? local() : local() ?? downstream();
}

/**
 * The cause over an incident's span: graphCause on each poll's graphs (snapshots grouped by time), the operator
 * (job, vertex, walk) named by most polls wins (ties: the busier), its hot subtasks and their shares averaged over
 * those polls, busiest first. Null when no poll names one.
 */
export function causeOverTime(inc: Incident, snaps: readonly JobGraphSnapshot[], o: RootCauseOptions = {}): GraphCause | null {
  const polls = new Map<number, JobGraphSnapshot[]>();
  for (const s of snaps) (polls.get(s.ts) ?? polls.set(s.ts, []).get(s.ts)!).push(s);
  const votes = new Map<string, GraphCause[]>();
  for (const t of [...polls.keys()].sort((a, b) => a - b)) {
    const c = graphCause(inc, polls.get(t)!, o);
    if (!c) continue;
    const k = `${c.jobId}\u0000${c.vertexId}\u0000${c.walk}`;
    (votes.get(k) ?? votes.set(k, []).get(k)!).push(c);
  }
  const meanBusy = (cs: GraphCause[]): number => cs.reduce((a, c) => a + c.subtasks[0].busy, 0) / cs.length;
  // the incident type's own walk outranks the fallback over the span, as it does within a poll: a back-pressure
  // incident's polls from before its machine waited (only its own busy subtask to name) count only when no poll found
  // where it waits — else, on the machine that hosts the bottleneck, they outvote the walk while back-pressure builds
  const prefer: GraphCause['walk'] = inc.type === 'backpressure' ? 'downstream' : 'local';
  const all = [...votes.values()];
  const preferred = all.filter((cs) => cs[0].walk === prefer);
  const won = (preferred.length ? preferred : all).sort((a, b) => b.length - a.length || meanBusy(b) - meanBusy(a))[0];
  if (!won) return null;
  const subs = new Map<string, { index: number; machine: string; busy: number; backpressure: number; n: number }>();
  for (const c of won) {
    for (const s of c.subtasks) {
      const k = `${s.index}\u0000${s.machine}`;
      const a = subs.get(k) ?? subs.set(k, { index: s.index, machine: s.machine, busy: 0, backpressure: 0, n: 0 }).get(k)!;
      a.busy += s.busy;
      a.backpressure += s.backpressure;
      a.n++;
    }
  }
  // a subtask counts when it was hot in at least half of the polls that named the operator
  const subtasks = [...subs.values()].filter((s) => s.n * 2 >= won.length)
    .map((s) => ({ index: s.index, machine: s.machine, busy: s.busy / s.n, backpressure: s.backpressure / s.n }))
    .sort((a, b) => b.busy - a.busy || a.index - b.index);
  if (subtasks.length === 0) return null;
  const paths = new Map<string, number>();
  for (const c of won) paths.set(JSON.stringify(c.path), (paths.get(JSON.stringify(c.path)) ?? 0) + 1);
  const path = JSON.parse([...paths].sort((a, b) => b[1] - a[1])[0][0]) as string[];
  return { ...won[won.length - 1], path, subtasks, machines: [...new Set(subtasks.map((s) => s.machine))] };
}

/** The incident's cause in the form incidents carry (machine = the TaskManager of the busiest hot subtask). */
export function causeFromGraph(inc: Incident, g: GraphCause, incidents: readonly Incident[]): BackpressureCause {
  const machine = g.subtasks[0].machine;
  const from = inc.onset;
  const to = inc.resolvedAt ?? inc.lastSeen;
  const anomalous = incidents.some((o) => o.id !== inc.id && o.machine === machine && o.onset <= to && (o.resolvedAt ?? o.lastSeen) >= from);
  return { machine, busy: g.subtasks[0].busy * 1000, jobs: [g.job], anomalous, graph: g };
}
