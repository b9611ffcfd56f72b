// The metric catalogue: one typed row per metric drives every source. Adding a metric is one row.
//   rest:  Flink REST metric id (TaskManager scope `tm`, or subtask scope `task`, aggregated over the TaskManager's subtasks)
//   prom:  Prometheus query template; {{window}} is replaced by the rate window; results are grouped by `tm_id`
//          (every row: a series without `tm_id` is an error of the poll, never a made-up machine)
//   agg:   how subtask values combine per machine
//   hotspot: what a hotspot looks like on it
//   lag:   the value is an epoch-ms timestamp; sources report now − value (NaN while there is none)
//   steady: the value is a configured size that stays constant (says nothing about whether a reading is fresh)
//   jobWide: the value is the job's, not the machine's: every TaskManager running the job sees it move at once (a
//          checkpoint completes for the whole job; event time advances as the slowest input's watermark). A
//          hotspot on one machine moves it on all of them (src/inspect/propagation.ts jobWideSymptomOf)
//   counter: the REST id is a cumulative count; sources report its rate per minute over the last minute
//          (src/core/counter.ts: a level that only grows is no baseline to compare against)

export type Agg = 'sum' | 'mean' | 'max' | 'min';
export interface MetricRow {
  name: string;
  unit: string;
  rest: { scope: 'tm' | 'task'; id: string } | null;
  prom: string;
  agg: Agg;
  hotspot: string;
  lag?: true;
  counter?: true;
  steady?: true;
  jobWide?: true;
}

export const CATALOGUE: readonly MetricRow[] = [
  { name: 'cpu_load', unit: 'fraction', rest: { scope: 'tm', id: 'Status.JVM.CPU.Load' }, prom: 'max by (tm_id) (flink_taskmanager_Status_JVM_CPU_Load)', agg: 'max', hotspot: 'stays high (sustained high CPU)' },
  // CPU.Load is "since the previous call" of one shared MXBean, so REST polls and Prometheus scrapes disturb each
  // other; the rate of CPU.Time (ns) is not disturbed. Prometheus only: a REST rate between polls would carry the
  // metric fetcher's up-to-1 s staleness in every difference.
  { name: 'cpu_cores', unit: 'cores', rest: null, prom: 'max by (tm_id) (rate(flink_taskmanager_Status_JVM_CPU_Time[1m])) / 1e9', agg: 'max', hotspot: 'stays high (a CPU-heavy operator)' },
  { name: 'heap_used', unit: 'bytes', rest: { scope: 'tm', id: 'Status.JVM.Memory.Heap.Used' }, prom: 'max by (tm_id) (flink_taskmanager_Status_JVM_Memory_Heap_Used)', agg: 'max', hotspot: 'saw-tooth baseline creeps up (state growth / leak)' },
  { name: 'heap_max', unit: 'bytes', rest: { scope: 'tm', id: 'Status.JVM.Memory.Heap.Max' }, prom: 'max by (tm_id) (flink_taskmanager_Status_JVM_Memory_Heap_Max)', agg: 'max', hotspot: 'constant; context for heap_used', steady: true },
  { name: 'gc_per_min', unit: '1/min', rest: { scope: 'tm', id: 'Status.JVM.GarbageCollector.All.Count' }, prom: 'max by (tm_id) (rate(flink_taskmanager_Status_JVM_GarbageCollector_All_Count[1m])) * 60', agg: 'max', hotspot: 'collections come faster', counter: true },
  { name: 'gc_time_ms', unit: 'ms/s', rest: { scope: 'tm', id: 'Status.JVM.GarbageCollector.All.TimeMsPerSecond' }, prom: 'max by (tm_id) (flink_taskmanager_Status_JVM_GarbageCollector_All_TimeMsPerSecond)', agg: 'max', hotspot: 'sustained GC pressure' },
  { name: 'busy_ms_per_s', unit: 'ms/s', rest: { scope: 'task', id: 'busyTimeMsPerSecond' }, prom: 'max by (tm_id) (flink_taskmanager_job_task_busyTimeMsPerSecond)', agg: 'max', hotspot: 'near 1000: the machine is the bottleneck' },
  { name: 'backpressured_ms_per_s', unit: 'ms/s', rest: { scope: 'task', id: 'backPressuredTimeMsPerSecond' }, prom: 'max by (tm_id) (flink_taskmanager_job_task_backPressuredTimeMsPerSecond)', agg: 'max', hotspot: 'high: a downstream machine is slow' },
  { name: 'idle_ms_per_s', unit: 'ms/s', rest: { scope: 'task', id: 'idleTimeMsPerSecond' }, prom: 'min by (tm_id) (flink_taskmanager_job_task_idleTimeMsPerSecond)', agg: 'mean', hotspot: 'drops to 0' },
  { name: 'records_in_per_s', unit: '1/s', rest: { scope: 'task', id: 'numRecordsInPerSecond' }, prom: 'sum by (tm_id) (flink_taskmanager_job_task_numRecordsInPerSecond)', agg: 'sum', hotspot: 'skew across machines, drops' },
  { name: 'records_out_per_s', unit: '1/s', rest: { scope: 'task', id: 'numRecordsOutPerSecond' }, prom: 'sum by (tm_id) (flink_taskmanager_job_task_numRecordsOutPerSecond)', agg: 'sum', hotspot: 'falls behind records in' },
  { name: 'watermark_lag_ms', unit: 'ms', rest: { scope: 'task', id: 'currentInputWatermark' }, prom: 'max by (tm_id) (time() * 1000 - (flink_taskmanager_job_task_currentInputWatermark > 0))', agg: 'max', hotspot: 'event time falls behind', lag: true, jobWide: true },
  // a job-level metric (the JobManager's last checkpoint duration of each job), mapped to machines: each TaskManager
  // gets the slowest last checkpoint among the jobs with a subtask on it (joined on job_id through a task metric)
  { name: 'checkpoint_ms', unit: 'ms', rest: null, prom: 'max by (tm_id) (count by (tm_id, job_id) (flink_taskmanager_job_task_busyTimeMsPerSecond) * 0 + on (job_id) group_left max by (job_id) (flink_jobmanager_job_lastCheckpointDuration))', agg: 'max', hotspot: 'grows with state', jobWide: true },
  { name: 'kafka_lag', unit: 'records', rest: { scope: 'task', id: 'KafkaSourceReader.KafkaConsumer.records-lag-max' }, prom: 'max by (tm_id) (flink_taskmanager_job_task_operator_KafkaSourceReader_KafkaConsumer_records_lag_max)', agg: 'max', hotspot: 'rises: consumers fall behind' },
];

/** Metrics Flink's REST API serves as its metric cache holds them (read as they are: not a rate we derive, not a
 *  lag against our clock) — the ones that tell a cache that stopped refreshing (src/core/stale.ts). */
const cachedRows = CATALOGUE.filter((m) => m.rest !== null && !m.lag && !m.counter && !m.steady);
export const SERVED_AS_CACHED: readonly string[] = cachedRows.map((m) => m.name);
/** Of those, the subtasks' (served only while the TaskManager runs some). */
export const SERVED_AS_CACHED_TASK: readonly string[] = cachedRows.filter((m) => m.rest!.scope === 'task').map((m) => m.name);

/** The job's metrics, seen alike on every machine that runs the job (MetricRow.jobWide). */
export const JOB_WIDE: readonly string[] = CATALOGUE.filter((m) => m.jobWide).map((m) => m.name);

export function metricRow(name: string): MetricRow {
  const r = CATALOGUE.find((m) => m.name === name);
  if (!r) throw new Error(`unknown metric '${name}' (catalogue: ${CATALOGUE.map((m) => m.name).join(', ')})`);
  return r;
}

export function combine(agg: Agg, values: number[]): number {
  if (values.length === 0) return NaN;
  if (agg === 'sum') return values.reduce((a, b) => a + b, 0);
  if (agg === 'max') return Math.max(...values);
  if (agg === 'min') return Math.min(...values);
  return values.reduce((a, b) => a + b, 0) / values.length;
}

