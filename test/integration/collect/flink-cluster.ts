// Starts a real Flink 1.20 session cluster for tests: a JobManager (StandaloneSessionClusterEntrypoint) and N
// TaskManagers (TaskManagerRunner), each its own JVM, from the harness classpath (Maven Central jars), with the
// Prometheus reporter on one port per process; then submits the switchable hotspot job. Stops everything on close().
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';

const ROOT = resolve(process.env.FLINKSCOPE_ROOT ?? '.');
const HARNESS = join(ROOT, 'harness');
const JAR = join(HARNESS, 'target', 'flinkscope-harness-0.1.0.jar');
const OPENS = ['java.base/java.lang', 'java.base/java.net', 'java.base/java.io', 'java.base/java.nio', 'java.base/sun.nio.ch', 'java.base/java.lang.reflect', 'java.base/java.text', 'java.base/java.time', 'java.base/java.util', 'java.base/java.util.concurrent', 'java.base/java.util.concurrent.atomic', 'java.base/java.util.concurrent.locks'];
const EXPORTS = ['java.base/sun.net.util', 'java.rmi/sun.rmi.registry', 'java.security.jgss/sun.security.krb5'];
const JVM_FLAGS = [...OPENS.map((p) => `--add-opens=${p}=ALL-UNNAMED`), ...EXPORTS.map((p) => `--add-exports=${p}=ALL-UNNAMED`)];

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
    s.on('error', rej);
  });
}

export function buildHarness(): void {
  const r = spawnSync('bash', [join(ROOT, 'scripts', 'build-harness.sh')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('building the Flink harness failed (see above)');
}

export interface FlinkCluster {
  restUrl: string;
  restPort: number;
  /** Prometheus reporter ports: [jobmanager, tm-1, tm-2, …]. */
  promPorts: number[];
  dir: string;
  knobFile: string;
  setKnobs(k: { hot: boolean; burnMicros?: number; sinkSleepMicros?: number }): void;
  submitJob(): string;
  close(): Promise<void>;
}

export async function startFlink(taskManagers = 3): Promise<FlinkCluster> {
  buildHarness();
  const dir = mkdtempSync(join(tmpdir(), 'flinkscope-flink-'));
  const conf = join(dir, 'conf');
  mkdirSync(conf);
  const restPort = await freePort();
  const rpcPort = await freePort();
  const promPorts: number[] = [];
  for (let i = 0; i <= taskManagers; i++) promPorts.push(await freePort());
  const yaml = {
    'jobmanager.rpc.address': 'localhost', 'jobmanager.rpc.port': rpcPort, 'jobmanager.bind-host': '127.0.0.1',
    'rest.address': 'localhost', 'rest.bind-address': '127.0.0.1', 'rest.port': restPort,
    'taskmanager.host': 'localhost', 'taskmanager.bind-host': '127.0.0.1', 'taskmanager.numberOfTaskSlots': 2,
    'jobmanager.memory.heap.size': '256m', 'jobmanager.memory.off-heap.size': '64m', 'jobmanager.memory.jvm-metaspace.size': '160m',
    'jobmanager.memory.jvm-overhead.min': '64m', 'jobmanager.memory.jvm-overhead.max': '64m',
    'taskmanager.cpu.cores': 2, 'taskmanager.memory.framework.heap.size': '64m', 'taskmanager.memory.task.heap.size': '128m',
    'taskmanager.memory.framework.off-heap.size': '64m', 'taskmanager.memory.task.off-heap.size': '0m', 'taskmanager.memory.managed.size': '32m',
    'taskmanager.memory.network.min': '32m', 'taskmanager.memory.network.max': '32m', 'taskmanager.memory.jvm-metaspace.size': '160m',
    'taskmanager.memory.jvm-overhead.min': '64m', 'taskmanager.memory.jvm-overhead.max': '64m',
    'metrics.reporter.prom.factory.class': 'org.apache.flink.metrics.prometheus.PrometheusReporterFactory',
    'metrics.reporter.prom.port': promPorts[0], 'metrics.fetcher.update-interval': 1000, 'taskmanager.load-balance.mode': 'SLOTS',
    'heartbeat.timeout': 30000, 'rest.flamegraph.enabled': 'false',
  };
  writeFileSync(join(conf, 'flink-conf.yaml'), Object.entries(yaml).map(([k, v]) => `${k}: ${v}`).join('\n') + '\n');
  writeFileSync(join(conf, 'log4j.properties'), 'rootLogger.level = WARN\nrootLogger.appenderRef.file.ref = F\nappender.file.name = F\nappender.file.type = File\nappender.file.fileName = ${sys:log.file}\nappender.file.layout.type = PatternLayout\nappender.file.layout.pattern = %d %-5p %c - %m%n\n');
  const knobFile = join(dir, 'knobs.properties');
  writeFileSync(knobFile, 'hot=false\n');
  const cp = `${join(HARNESS, 'lib')}/*:${JAR}`;
  const procs: ChildProcess[] = [];
  const java = (name: string, heap: string, main: string, extra: string[]): void => {
    const p = spawn('java', [`-Xmx${heap}`, `-Xms${heap}`, '-XX:MaxDirectMemorySize=160m', '-XX:MaxMetaspaceSize=160m', ...JVM_FLAGS,
      `-Dlog.file=${join(dir, `${name}.log`)}`, `-Dlog4j.configurationFile=${join(conf, 'log4j.properties')}`, '-cp', cp, main, '--configDir', conf, ...extra],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: false });
    let err = '';
    p.stderr!.on('data', (d) => (err = (err + d).slice(-4000)));
    p.on('exit', (code) => { if (code && code !== 143) process.stderr.write(`[flink ${name} exited ${code}] ${err}\n`); });
    procs.push(p);
  };
  java('jobmanager', '256m', 'org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint', []);
  for (let i = 1; i <= taskManagers; i++) {
    java(`tm-${i}`, '192m', 'org.apache.flink.runtime.taskexecutor.TaskManagerRunner', ['-D', `taskmanager.resource-id=tm-${i}`, '-D', `metrics.reporter.prom.port=${promPorts[i]}`]);
  }
  const restUrl = `http://127.0.0.1:${restPort}`;
  const close = async (): Promise<void> => {
    for (const p of procs) p.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const r = (await (await fetch(`${restUrl}/taskmanagers`)).json()) as { taskmanagers: unknown[] };
      if (r.taskmanagers.length === taskManagers) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline || procs.some((p) => p.exitCode !== null)) {
      const logs = ['jobmanager', 'tm-1'].map((n) => join(dir, `${n}.log`)).filter(existsSync).map((f) => readFileSync(f, 'utf8').slice(-1500)).join('\n');
      await close();
      throw new Error(`Flink cluster did not come up with ${taskManagers} TaskManagers:\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  return {
    restUrl, restPort, promPorts, dir, knobFile,
    setKnobs: (k) => writeFileSync(knobFile, `hot=${k.hot}\nburnMicros=${k.burnMicros ?? 400}\nsinkSleepMicros=${k.sinkSleepMicros ?? 0}\n`),
    submitJob: () => {
      const r = spawnSync('java', [...JVM_FLAGS, '-cp', cp, 'dev.flinkscope.harness.HotspotJob', String(restPort), JAR, knobFile], { encoding: 'utf8', timeout: 120_000 });
      const m = /JOB ([0-9a-f]+)/.exec(r.stdout);
      if (!m) throw new Error(`job submission failed: ${r.stderr.slice(-2000)}`);
      return m[1];
    },
    close,
  };
}
