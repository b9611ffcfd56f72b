// Evidence from Flink's REST API, the two things an operator opens in Flink's web UI when a vertex is hot: a flame
// graph of the vertex (`/jobs/:id/vertices/:vid/flamegraph?type=full`, one subtask with `subtaskindex`; needs
// `rest.flamegraph.enabled: true`) and a thread dump of a TaskManager (`/taskmanagers/:id/thread-dump`). Flink samples
// a flame graph on request: the first answers carry no data (or a cached graph older than the request), so this polls
// until a graph taken after the request arrives or a deadline passes. Bodies are bounded before they are kept.
import { getJson, shape, obj, list, str, num, any, optional, type HttpOptions, type ShapeCheck } from './http.js';

/** A flame-graph node as Flink sends it: a frame, its sample count, its callees. */
export interface FlameNode {
  name: string;
  value: number;
  children?: FlameNode[];
}

export interface ThreadInfo {
  threadName: string;
  stringifiedThreadInfo: string;
}

interface FlameAnswer { endTimestamp?: number; data?: FlameNode | null }

const FLAME = shape(obj({ endTimestamp: optional(num), data: optional(any) }));
const DUMP = shape(obj({ threadInfos: list(obj({ threadName: str, stringifiedThreadInfo: str })) }));

export class EvidenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvidenceError';
  }
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> => new Promise((r) => {
  const t = setTimeout(done, ms);
  function done(): void {
    clearTimeout(t);
    signal?.removeEventListener('abort', done);
    r();
  }
  signal?.addEventListener('abort', done, { once: true });
});

export class FlinkEvidenceSource {
  constructor(readonly base: string, readonly o: HttpOptions = {}) {}

  private get<T>(path: string, check: ShapeCheck): Promise<T> {
    return getJson<T>(`${this.base.replace(/\/$/, '')}${path}`, this.o, check);
  }

  /**
   * A flame graph of the vertex (of one subtask when given), sampled for this request: Flink answers endTimestamp -3
   * while it samples, then the graph; a graph it had cached is taken when it is at most `maxAgeMs` older than `since`
   * (wall clock of the request; Flink keeps one for `rest.flamegraph.refresh-interval`, 60 s by default), else this
   * waits for the next. -2: flame graphs are disabled; -1: the vertex has ended. Within `timeoutMs`.
   */
  async flameGraph(jobId: string, vertexId: string, subtask: number | null, since: number, o: { timeoutMs?: number; pollMs?: number; maxAgeMs?: number; signal?: AbortSignal } = {}): Promise<{ root: FlameNode; endTimestamp: number }> {
    const path = `/jobs/${encodeURIComponent(jobId)}/vertices/${encodeURIComponent(vertexId)}/flamegraph?type=full${subtask === null ? '' : `&subtaskindex=${subtask}`}`;
    const timeoutMs = o.timeoutMs ?? 90_000;
    const deadline = Date.now() + timeoutMs;
    let sampling = false;
    let last: FlameAnswer = {};
    for (;;) {
      last = await this.get<FlameAnswer>(path, FLAME);
      const end = last.endTimestamp ?? NaN;
      if (end === -2) throw new EvidenceError(`flame graphs are disabled on this Flink cluster (set rest.flamegraph.enabled: true) — vertex ${vertexId}`);
      if (end === -1) throw new EvidenceError(`vertex ${vertexId} has ended: no flame graph`);
      if (last.data && (sampling || end >= since - (o.maxAgeMs ?? 10_000))) return { root: last.data, endTimestamp: end };
      if (end === -3) sampling = true;
      if (Date.now() + (o.pollMs ?? 1000) > deadline || o.signal?.aborted) break;
      await sleep(o.pollMs ?? 1000, o.signal);
    }
    throw new EvidenceError(`no flame graph of vertex ${vertexId} sampled within ${Math.round(timeoutMs / 1000)} s (last answer: endTimestamp ${last.endTimestamp ?? 'none'}, ${last.data ? 'an older graph' : 'no data'})`);
  }

  async threadDump(taskManager: string): Promise<ThreadInfo[]> {
    return (await this.get<{ threadInfos: ThreadInfo[] }>(`/taskmanagers/${encodeURIComponent(taskManager)}/thread-dump`, DUMP)).threadInfos;
  }
}

/**
 * A flame graph cut to at most `maxBytes` of JSON: frames with less than a share `minShare` of the root's samples
 * are folded into one "(other)" node per parent; the share doubles until the tree fits. Shapes: the same tree type.
 */
export function boundFlameGraph(root: FlameNode, maxBytes: number, minShare = 0.002): { root: FlameNode; bytes: number; truncated: boolean } {
  const total = Math.max(1, root.value);
  const cut = (n: FlameNode, min: number): FlameNode => {
    const keep: FlameNode[] = [];
    let other = 0;
    for (const c of n.children ?? []) {
      if (c.value >= min) keep.push(cut(c, min));
      else other += c.value;
    }
    if (other > 0) keep.push({ name: '(other)', value: other });
    return keep.length ? { name: n.name, value: n.value, children: keep } : { name: n.name, value: n.value };
  };
  let text = JSON.stringify(root);
  if (text.length <= maxBytes) return { root, bytes: text.length, truncated: false };
  for (let share = minShare; share <= 1; share *= 2) {
    const t = cut(root, share * total);
    text = JSON.stringify(t);
    if (text.length <= maxBytes) return { root: t, bytes: text.length, truncated: true };
  }
  const bare = { name: root.name, value: root.value };
  return { root: bare, bytes: JSON.stringify(bare).length, truncated: true };
}

/**
 * A thread dump cut to at most `maxBytes`: the threads whose name contains one of `first` (the hot vertex's task
 * threads) come first, then the others in Flink's order; threads that do not fit are left out (counted).
 */
export function boundThreadDump(threads: ThreadInfo[], maxBytes: number, first: string[] = []): { threads: ThreadInfo[]; bytes: number; truncated: boolean; omitted: number } {
  const hot = (t: ThreadInfo): boolean => first.some((f) => f && t.threadName.includes(f));
  const ordered = [...threads.filter(hot), ...threads.filter((t) => !hot(t))];
  const out: ThreadInfo[] = [];
  let bytes = 2;
  for (const t of ordered) {
    const b = JSON.stringify(t).length + 1;
    if (bytes + b > maxBytes) continue;
    out.push(t);
    bytes += b;
  }
  return { threads: out, bytes, truncated: out.length < threads.length, omitted: threads.length - out.length };
}
