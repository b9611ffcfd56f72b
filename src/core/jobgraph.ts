// A running job's graph as Flink's REST API publishes it, at one moment: vertices (tasks, i.e. chains of operators),
// the edges of its plan, and per subtask where it runs and how it spent its time (busy / back-pressured). Collected by
// src/collect/jobgraph.ts, stored per poll, walked by src/inspect/rootcause.ts.

export interface SubtaskState {
  /** Subtask index, 0-based. */
  index: number;
  /** TaskManager id (resource id) it runs on; '' when Flink did not say. */
  machine: string;
  /** Execution state (RUNNING, FAILED, DEPLOYING, …). */
  status: string;
  /** Execution attempt (a restarted subtask counts up). */
  attempt: number;
  /** Share of time back-pressured, 0–1 (NaN: not reported yet). */
  backpressure: number;
  /** Share of time busy, 0–1 (NaN: not reported yet). */
  busy: number;
}

export interface VertexState {
  /** Job vertex id (hex). */
  id: string;
  /** The vertex's name: its operators joined by ' -> ' when chained. */
  name: string;
  parallelism: number;
  subtasks: SubtaskState[];
}

export interface JobGraphSnapshot {
  jobId: string;
  /** Job name (what placement and per-job samples call the job). */
  job: string;
  /** Epoch ms of the poll. */
  ts: number;
  /** Job state (RUNNING, RESTARTING, …). */
  state: string;
  vertices: VertexState[];
  /** Data flows from → to (vertex ids), with Flink's ship strategy (HASH, REBALANCE, FORWARD, …). */
  edges: { from: string; to: string; ship: string }[];
}

/** What one poll of a job tells besides its graph, for the job-state checks (src/inspect/checks.ts). */
export interface JobObservation {
  graph: JobGraphSnapshot;
  /** Epoch ms the job last entered RUNNING (Flink's timestamps.RUNNING; its start-time when absent): a job back from
   *  a restart has not missed the checkpoints of its downtime. */
  runningSince: number;
  /** Checkpointing: the configured interval (null: checkpointing off) and the latest completed checkpoint. */
  checkpoint: { intervalMs: number | null; lastCompletedId: number | null; lastCompletedAt: number | null };
}
