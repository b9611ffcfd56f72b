// A real Flink 1.20 session cluster on loopback for the lab and the integration tests: a JobManager
// (StandaloneSessionClusterEntrypoint) and N TaskManagers (TaskManagerRunner), each its own JVM from the harness
// classpath (Maven Central jars), stable ids tm-1…tm-N, a Prometheus reporter port per process, logs in the run
// directory. It submits the lab jobs (harness LabJob), kills and restarts TaskManagers (failover faults) and stops
// only the processes it started.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildHarness, freePort } from './tools.js';
import { Proc } from './procs.js';
import { LAB_METRICS_FETCHER_MS } from '../../data/readers/flinklab.js';

// Flink's own `env.java.opts.all` for Java 17 (from its distribution's config).
const OPENS = ['java.base/java.lang', 'java.base/java.net', 'java.base/java.io', 'java.base/java.nio', 'java.base/sun.nio.ch', 'java.base/java.lang.reflect', 'java.base/java.text', 'java.base/java.time', 'java.base/java.util', 'java.base/java.util.concurrent', 'java.base/java.util.concurrent.atomic', 'java.base/java.util.concurrent.locks'];
const EXPORTS = ['java.base/sun.net.util', 'java.rmi/sun.rmi.registry', 'java.security.jgss/sun.security.krb5'];
export const JVM_FLAGS = [...OPENS.map((p) => `--add-opens=${p}=ALL-UNNAMED`), ...EXPORTS.map((p) => `--add-exports=${p}=ALL-UNNAMED`)];

export interface ClusterOptions {
  /** Run directory: config, logs, checkpoints. */
  dir: string;
  taskManagers?: number;
  /** Slots per TaskManager (default 2). */
  slots?: number;
  /** How long start-up and TaskManager registration may take (default 120 s). */
  readyTimeoutMs?: number;
}

export interface LabJobArgs {
  job: 'orders' | 'enrich';
  controlFile: string;
  loadFile: string;
  parallelism: number;
}

// TaskManager memory, spelled out (the Flink scripts normally compute it): JVM heap = framework + task heap.
const TM_HEAP = { framework: 64, task: 256 };

export class FlinkCluster {
  readonly restUrl: string;
  private tms: (Proc | null)[];
  private jm!: Proc;
  private classpath = '';
  jar = '';

  private constructor(readonly dir: string, readonly restPort: number, readonly promPorts: number[], readonly slots: number) {
    this.restUrl = `http://127.0.0.1:${restPort}`;
    this.tms = promPorts.slice(1).map(() => null);
  }

  /** TaskManager ids, tm-1 … tm-N. */
  get taskManagerIds(): string[] {
    return this.tms.map((_, i) => `tm-${i + 1}`);
  }

  get logDir(): string {
    return join(this.dir, 'logs');
  }

  get checkpointDir(): string {
    return join(this.dir, 'checkpoints');
  }

  /** Flink's temporary files (io.tmp.dirs, java.io.tmpdir: I/O spill and shuffle directories, the unpacked RPC jar):
   *  in the run directory, so a TaskManager killed for a failover leaves nothing in the machine's /tmp. */
  get tmpDir(): string {
    return join(this.dir, 'tmp');
  }

  static async start(o: ClusterOptions): Promise<FlinkCluster> {
    const n = o.taskManagers ?? 3;
    const { classpath, jar } = buildHarness();
    mkdirSync(join(o.dir, 'conf'), { recursive: true });
    const restPort = await freePort();
    const promPorts: number[] = [];
    for (let i = 0; i <= n; i++) promPorts.push(await freePort());
    const c = new FlinkCluster(o.dir, restPort, promPorts, o.slots ?? 2);
    c.classpath = classpath;
    c.jar = jar;
    mkdirSync(c.logDir, { recursive: true });
    mkdirSync(c.checkpointDir, { recursive: true });
    mkdirSync(c.tmpDir, { recursive: true });
    c.writeConfig(await freePort());
    c.jm = c.java('jobmanager', 256, 'org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint', []);
    for (let i = 1; i <= n; i++) c.startTaskManager(i);
    try {
      await c.waitFor(() => c.registered().then((ids) => ids.length === n), o.readyTimeoutMs ?? 120_000, `${n} TaskManagers registered`);
    } catch (e) {
      await c.close();
      throw e;
    }
    return c;
  }

  private writeConfig(rpcPort: number): void {
    const yaml: Record<string, string | number> = {
      'jobmanager.rpc.address': 'localhost', 'jobmanager.rpc.port': rpcPort, 'jobmanager.bind-host': '127.0.0.1',
      'rest.address': 'localhost', 'rest.bind-address': '127.0.0.1', 'rest.port': this.restPort,
      'taskmanager.host': 'localhost', 'taskmanager.bind-host': '127.0.0.1', 'taskmanager.numberOfTaskSlots': this.slots,
      'jobmanager.memory.heap.size': '256m', 'jobmanager.memory.off-heap.size': '64m', 'jobmanager.memory.jvm-metaspace.size': '160m',
      'jobmanager.memory.jvm-overhead.min': '64m', 'jobmanager.memory.jvm-overhead.max': '64m',
      'taskmanager.cpu.cores': 2, 'taskmanager.memory.framework.heap.size': `${TM_HEAP.framework}m`, 'taskmanager.memory.task.heap.size': `${TM_HEAP.task}m`,
      'taskmanager.memory.framework.off-heap.size': '64m', 'taskmanager.memory.task.off-heap.size': '0m', 'taskmanager.memory.managed.size': '32m',
      'taskmanager.memory.network.min': '32m', 'taskmanager.memory.network.max': '32m', 'taskmanager.memory.jvm-metaspace.size': '160m',
      'taskmanager.memory.jvm-overhead.min': '64m', 'taskmanager.memory.jvm-overhead.max': '64m',
      'metrics.reporter.prom.factory.class': 'org.apache.flink.metrics.prometheus.PrometheusReporterFactory',
      'metrics.reporter.prom.port': this.promPorts[0], 'metrics.fetcher.update-interval': LAB_METRICS_FETCHER_MS, 'taskmanager.load-balance.mode': 'SLOTS',
      'heartbeat.timeout': 30000, 'web.submit.enable': 'false', 'io.tmp.dirs': this.tmpDir,
      // flame graphs for flinkscope's incident evidence (src/collect/evidence.ts): Flink samples a vertex's threads only
      // when a flame graph is requested (FLIP-165), so a recording that asks for none pays nothing for it
      'rest.flamegraph.enabled': 'true',
      // 4 KB network buffers instead of 32 KB: the lab's records are ~50 bytes, ten times smaller than typical ones,
      // and 32 KB buffers would hide a slow subtask for minutes before back-pressure reaches upstream
      'taskmanager.memory.segment-size': '4kb',
      // a loaded 2-core machine can take longer than the default 10 s to bring up an RPC actor system
      'pekko.startup-timeout': '60 s', 'pekko.ask.timeout': '30 s',
    };
    const conf = join(this.dir, 'conf');
    writeFileSync(join(conf, 'flink-conf.yaml'), Object.entries(yaml).map(([k, v]) => `${k}: ${v}`).join('\n') + '\n');
    writeFileSync(join(conf, 'log4j.properties'), 'rootLogger.level = WARN\nrootLogger.appenderRef.file.ref = F\nappender.file.name = F\nappender.file.type = File\nappender.file.fileName = ${sys:log.file}\nappender.file.layout.type = PatternLayout\nappender.file.layout.pattern = %d %-5p %c - %m%n\n');
  }

  private java(name: string, heapMb: number, main: string, extra: string[]): Proc {
    const conf = join(this.dir, 'conf');
    return new Proc(name, 'java', [`-Xmx${heapMb}m`, `-Xms${heapMb}m`, '-XX:MaxDirectMemorySize=160m', '-XX:MaxMetaspaceSize=160m', ...JVM_FLAGS, `-Djava.io.tmpdir=${this.tmpDir}`,
      `-Dlog.file=${join(this.logDir, `${name}.log`)}`, `-Dlog4j.configurationFile=${join(conf, 'log4j.properties')}`, '-cp', this.classpath, main, '--configDir', conf, ...extra],
    join(this.logDir, `${name}.out`));
  }

  private startTaskManager(i: number): void {
    this.tms[i - 1] = this.java(`tm-${i}`, TM_HEAP.framework + TM_HEAP.task, 'org.apache.flink.runtime.taskexecutor.TaskManagerRunner',
      ['-D', `taskmanager.resource-id=tm-${i}`, '-D', `metrics.reporter.prom.port=${this.promPorts[i]}`]);
  }

  /** PID of TaskManager i (1-based), or undefined when it is not running. */
  taskManagerPid(i: number): number | undefined {
    const p = this.tms[i - 1];
    return p?.running ? p.pid : undefined;
  }

  /** Ids of the TaskManagers the JobManager currently lists. */
  async registered(): Promise<string[]> {
    try {
      const r = (await (await fetch(`${this.restUrl}/taskmanagers`, { signal: AbortSignal.timeout(5000) })).json()) as { taskmanagers: { id: string }[] };
      return r.taskmanagers.map((t) => t.id);
    } catch {
      return [];
    }
  }

  /** SIGKILL of TaskManager i's JVM (a machine failing), as an orchestrator would see it. */
  async killTaskManager(i: number): Promise<void> {
    const p = this.tms[i - 1];
    if (!p?.running) throw new Error(`tm-${i} is not running`);
    await p.kill();
  }

  /** Starts TaskManager i again (same id and reporter port) and waits until the JobManager lists it. */
  async restartTaskManager(i: number, timeoutMs = 90_000): Promise<void> {
    if (this.tms[i - 1]?.running) throw new Error(`tm-${i} is still running`);
    this.startTaskManager(i);
    await this.waitFor(async () => (await this.registered()).includes(`tm-${i}`), timeoutMs, `tm-${i} registered again`);
  }

  /** Submits a lab job (harness LabJob); resolves to its job id. */
  submit(a: LabJobArgs, timeoutMs = 120_000): Promise<string> {
    return new Promise((res, rej) => {
      const p = spawn('java', [...JVM_FLAGS, '-cp', this.classpath, 'dev.flinkscope.harness.LabJob', '--rest-port', String(this.restPort), '--jar', this.jar,
        '--job', a.job, '--control', a.controlFile, '--load', a.loadFile, '--parallelism', String(a.parallelism), '--checkpoints', this.checkpointDir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
      const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
      p.on('exit', () => {
        clearTimeout(timer);
        const m = /JOB ([0-9a-f]{32})/.exec(out);
        if (m) res(m[1]);
        else rej(new Error(`submitting job ${a.job} failed: ${err.trim().split('\n').slice(-3).join(' | ') || 'no job id printed'}`));
      });
    });
  }

  private async waitFor(ok: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await ok()) return;
      if (Date.now() > deadline || !this.jm.running) {
        const tail = ['jobmanager', 'tm-1'].map((n) => join(this.logDir, `${n}.log`)).filter(existsSync).map((f) => readFileSync(f, 'utf8').slice(-800)).join('\n');
        throw new Error(`Flink: not ${what} within ${Math.round(timeoutMs / 1000)} s (logs in ${this.logDir})${tail ? `:\n${tail}` : ''}`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** Stops every process this cluster started (SIGTERM, then SIGKILL). */
  async close(): Promise<void> {
    await Promise.all([...this.tms, this.jm].map((p) => p?.stop(5000)));
  }
}
