// One canonical metric sample, whatever the source (Flink REST, Prometheus, files, Kafka).

export interface Sample {
  /** Epoch ms. */
  ts: number;
  machine: string;
  metric: string;
  value: number;
  /** Set on per-job samples (subtask metrics of one job's operator on the machine); absent on machine-level ones. */
  job?: string;
  /** The operator (job vertex) of a per-job sample. */
  operator?: string;
}
