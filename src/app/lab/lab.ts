// The lab environment: a Flink cluster, Prometheus scraping its reporters, the control and load files, and the
// lab jobs submitted and running. `flinkscope record` and the integration tests start it the same way.
import { join } from 'node:path';
import { FlinkCluster } from './cluster.js';
import { startPrometheus, type PrometheusServer } from './prometheus.js';
import { writeControl } from './control.js';
import { drawLoad, writeLoad, type LoadProfile } from './load.js';
import { JobWatcher } from './topology.js';
import { requireTool } from './tools.js';

export const LAB_JOBS = ['orders', 'enrich'] as const;
export type LabJobName = (typeof LAB_JOBS)[number];

export interface LabOptions {
  /** Run directory (config, logs, checkpoints, Prometheus TSDB). */
  dir: string;
  taskManagers?: number;
  seed: number;
  /** How long the load profile must cover, ms. */
  spanMs: number;
  scrapeMs?: number;
  jobs?: readonly LabJobName[];
  /** Start Prometheus too (default true). */
  prometheus?: boolean;
  progress?: (line: string) => void;
}

export interface Lab {
  cluster: FlinkCluster;
  prometheus: PrometheusServer | null;
  controlFile: string;
  load: LoadProfile;
  jobs: { name: LabJobName; id: string }[];
  watcher: JobWatcher;
  parallelism: number;
  close(): Promise<void>;
}

export async function startLab(o: LabOptions): Promise<Lab> {
  const say = o.progress ?? (() => {});
  requireTool('java', '-version');
  requireTool('mvn', '-v');
  if (o.prometheus ?? true) requireTool('prometheus');
  const taskManagers = o.taskManagers ?? 3;
  say(`starting Flink (JobManager + ${taskManagers} TaskManagers) in ${o.dir}`);
  const cluster = await FlinkCluster.start({ dir: o.dir, taskManagers });
  let prometheus: PrometheusServer | null = null;
  try {
    if (o.prometheus ?? true) {
      prometheus = await startPrometheus({ dir: join(o.dir, 'prometheus'), logFile: join(cluster.logDir, 'prometheus.log'), targets: cluster.promPorts.map((p) => `127.0.0.1:${p}`), scrapeMs: o.scrapeMs ?? 2000 });
      say(`Prometheus on ${prometheus.url}`);
    }
    const controlFile = join(o.dir, 'control.properties');
    const loadFile = join(o.dir, 'load.properties');
    writeControl(controlFile, []);
    const load = drawLoad(o.seed, Date.now(), o.spanMs);
    writeLoad(loadFile, load);
    const parallelism = taskManagers; // one subtask of every operator per TaskManager (slot sharing), both jobs fit
    const jobs: Lab['jobs'] = [];
    for (const name of o.jobs ?? LAB_JOBS) {
      jobs.push({ name, id: await cluster.submit({ job: name, controlFile, loadFile, parallelism }) });
      say(`job ${name} submitted (${jobs[jobs.length - 1].id})`);
    }
    const watcher = new JobWatcher(cluster.restUrl, jobs);
    const deadline = Date.now() + 120_000;
    while (!(await watcher.allRunning().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`the lab jobs did not reach RUNNING within 120 s (logs in ${cluster.logDir})`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const p = prometheus;
    return { cluster, prometheus, controlFile, load, jobs, watcher, parallelism, close: async () => void (await Promise.all([p?.close(), cluster.close()])) };
  } catch (e) {
    await Promise.all([prometheus?.close(), cluster.close()]);
    throw e;
  }
}
