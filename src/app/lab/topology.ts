// What the recorder asks Flink's REST API beyond the collectors: the job graphs, where each subtask runs (live —
// a fault's machine is resolved when it starts, and placement changes after a failover), whether every task runs,
// and per-subtask checkpoint statistics (duration and state size of the latest completed checkpoint), which show
// state growth on the machine that holds the state.
import type { Sample } from '../../core/sample.js';
import type { LabJobGraph } from '../../data/readers/flinklab.js';
import { getJson, type HttpOptions } from '../../collect/http.js';

interface JobDetail { name: string; state: string; timestamps?: Record<string, number>; vertices: { id: string; name: string; parallelism: number; status?: string; tasks?: Record<string, number> }[] }
interface VertexDetail { subtasks: { subtask: number; status?: string; 'taskmanager-id'?: string }[] }
interface Plan { plan: { nodes: { id: string; inputs?: { id: string; ship_strategy: string }[] }[] } }
interface Checkpoints { latest?: { completed?: { id: number; latest_ack_timestamp: number } | null } }
interface CheckpointSubtasks { subtasks: { index: number; end_to_end_duration?: number; state_size?: number; status?: string }[] }

/** job → vertex name → machine per subtask index. */
export type Placement = Record<string, Record<string, string[]>>;

/** A vertex's name as Flink shows it, given the operator's short name (sources and legacy sinks get a prefix). */
export function vertexFor(names: string[], short: string): string | undefined {
  return names.find((n) => n === short || n === `Source: ${short}` || n === `Sink: ${short}`);
}

export class JobWatcher {
  private ckpt = new Map<string, { id: number; perVertex: Map<string, { ms: number; bytes: number }[]> }>();

  constructor(readonly base: string, readonly jobs: { name: string; id: string }[], readonly o: HttpOptions = { timeoutMs: 5000, retries: 1 }) {}

  private get<T>(path: string): Promise<T> {
    return getJson<T>(`${this.base.replace(/\/$/, '')}${path}`, this.o);
  }

  async graphs(): Promise<LabJobGraph[]> {
    const out: LabJobGraph[] = [];
    for (const j of this.jobs) {
      const d = await this.get<JobDetail>(`/jobs/${j.id}`);
      const plan = await this.get<Plan>(`/jobs/${j.id}/plan`);
      const name = (id: string): string => d.vertices.find((v) => v.id === id)?.name ?? id;
      out.push({
        name: j.name, ids: [j.id], parallelism: Math.max(...d.vertices.map((v) => v.parallelism)),
        vertices: d.vertices.map((v) => ({ id: v.id, name: v.name, parallelism: v.parallelism })),
        edges: plan.plan.nodes.flatMap((n) => (n.inputs ?? []).map((i) => ({ from: name(i.id), to: name(n.id), ship: i.ship_strategy }))),
      });
    }
    return out;
  }

  async placement(): Promise<Placement> {
    const out: Placement = {};
    for (const j of this.jobs) {
      const d = await this.get<JobDetail>(`/jobs/${j.id}`);
      out[j.name] = {};
      for (const v of d.vertices) {
        const subs = (await this.get<VertexDetail>(`/jobs/${j.id}/vertices/${v.id}`)).subtasks;
        out[j.name][v.name] = subs.sort((a, b) => a.subtask - b.subtask).map((s) => s['taskmanager-id'] ?? '');
      }
    }
    return out;
  }

  /** True when every job is RUNNING with all its tasks running. */
  async allRunning(): Promise<boolean> {
    for (const j of this.jobs) {
      const d = await this.get<JobDetail>(`/jobs/${j.id}`);
      if (d.state !== 'RUNNING' || d.vertices.some((v) => v.status !== 'RUNNING')) return false;
    }
    return true;
  }

  /** When each job last entered RESTARTING (Flink's timestamps; 0 = never), by job name. */
  async lastRestart(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const j of this.jobs) out[j.name] = (await this.get<JobDetail>(`/jobs/${j.id}`)).timestamps?.RESTARTING ?? 0;
    return out;
  }

  /**
   * checkpoint_ms (end-to-end duration) and state_bytes of the latest completed checkpoint, per (machine, job,
   * operator) and per machine (duration: the slowest subtask on it; state: the sum). Only a new checkpoint costs
   * extra requests; otherwise the last one is repeated, as a "last checkpoint" gauge would be.
   */
  async checkpointSamples(now: number, placement: Placement): Promise<Sample[]> {
    for (const j of this.jobs) {
      const latest = (await this.get<Checkpoints>(`/jobs/${j.id}/checkpoints`)).latest?.completed;
      if (!latest || this.ckpt.get(j.name)?.id === latest.id) continue;
      const d = await this.get<JobDetail>(`/jobs/${j.id}`);
      const perVertex = new Map<string, { ms: number; bytes: number }[]>();
      for (const v of d.vertices) {
        const s = await this.get<CheckpointSubtasks>(`/jobs/${j.id}/checkpoints/details/${latest.id}/subtasks/${v.id}`);
        const arr: { ms: number; bytes: number }[] = [];
        for (const st of s.subtasks) arr[st.index] = { ms: st.end_to_end_duration ?? NaN, bytes: st.state_size ?? NaN };
        perVertex.set(v.name, arr);
      }
      this.ckpt.set(j.name, { id: latest.id, perVertex });
    }
    const out: Sample[] = [];
    const machine = new Map<string, { ms: number; bytes: number }>();
    for (const [job, c] of this.ckpt) {
      for (const [op, arr] of c.perVertex) {
        const per = new Map<string, { ms: number; bytes: number }>();
        arr.forEach((v, i) => {
          const m = placement[job]?.[op]?.[i];
          if (!m || !v) return;
          const a = per.get(m) ?? per.set(m, { ms: 0, bytes: 0 }).get(m)!;
          a.ms = Math.max(a.ms, v.ms);
          a.bytes += v.bytes;
        });
        for (const [m, v] of per) {
          out.push({ ts: now, machine: m, job, operator: op, metric: 'checkpoint_ms', value: v.ms }, { ts: now, machine: m, job, operator: op, metric: 'state_bytes', value: v.bytes });
          const a = machine.get(m) ?? machine.set(m, { ms: 0, bytes: 0 }).get(m)!;
          a.ms = Math.max(a.ms, v.ms);
          a.bytes += v.bytes;
        }
      }
    }
    for (const [m, v] of machine) out.push({ ts: now, machine: m, metric: 'checkpoint_ms', value: v.ms }, { ts: now, machine: m, metric: 'state_bytes', value: v.bytes });
    return out;
  }
}
