// Flink events: things that happened to a job or a TaskManager (not metric values) — state transitions, restarts and
// failovers, checkpoint failures, deploys and rescales, job-state checks. The product annotates incidents with the
// events that overlap them and may hold pages during an event's grace period.

export type EventKind =
  | 'job-state' // a job changed state (RUNNING → RESTARTING, …)
  | 'restart' // numRestarts went up
  | 'failover' // a TaskManager was lost and the job restarted elsewhere
  | 'checkpoint-failed'
  | 'checkpoint-stalled' // no completed checkpoint for N intervals
  | 'deploy' // a job (id) appeared
  | 'rescale' // a vertex's parallelism changed
  | 'task-failed' // a task FAILED / RESTARTING while the job runs
  | 'lag-growing' // Kafka consumer lag grew for N minutes
  | 'metrics-stale' // the REST API kept serving a machine's last values: its metric cache stopped refreshing (src/core/stale.ts)
  | 'metrics-fresh' // …and serves that machine's values fresh again: the end of the stale stretch
  | 'collect-failed' // flinkscope could not poll the cluster (src/core/outage.ts)…
  | 'collect-resumed'; // …and collects again: the end of a gap in every machine's data (or flinkscope was not running)

export interface FlinkEvent {
  /** Stable id (source-specific), so re-delivered events are stored once. */
  id: string;
  /** Epoch ms when it happened (or was first seen). */
  ts: number;
  kind: EventKind;
  /** Job name, when the event belongs to a job. */
  job?: string;
  /** The machines (TaskManager ids) it affects; empty = the whole cluster / unknown. */
  machines: string[];
  /** One human line: what happened. */
  detail: string;
  /** Structured facts (old/new state, restart count, parallelism, …). */
  attrs?: Record<string, string | number | boolean>;
}
