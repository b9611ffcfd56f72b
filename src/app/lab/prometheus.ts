// Debian's `prometheus` on a free loopback port, scraping the Flink reporters: its config and TSDB in the run
// directory, ready when /-/ready answers, stopped by its own PID. A system Prometheus, if any, is left alone.
// restart() brings it back on the same port and TSDB (e.g. after someone else's `pkill prometheus`): the stored
// samples survive, the scrapes in between are missing.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, requireTool } from './tools.js';
import { Proc } from './procs.js';

export interface PrometheusServer {
  url: string;
  /** False once the process has exited. */
  readonly running: boolean;
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** `dir` holds the config and the TSDB; the log goes to `logFile` (default: prometheus.log in `dir`). */
export async function startPrometheus(o: { dir: string; targets: string[]; scrapeMs: number; logFile?: string; readyTimeoutMs?: number }): Promise<PrometheusServer> {
  requireTool('prometheus');
  mkdirSync(o.dir, { recursive: true });
  const port = await freePort();
  const cfg = join(o.dir, 'prometheus.yml');
  const every = `${Math.max(1, Math.round(o.scrapeMs / 1000))}s`;
  writeFileSync(cfg, `global:\n  scrape_interval: ${every}\n  scrape_timeout: ${every}\nscrape_configs:\n  - job_name: flink\n    static_configs:\n      - targets: [${o.targets.map((t) => `'${t}'`).join(', ')}]\n`);
  const log = o.logFile ?? join(o.dir, 'prometheus.log');
  const url = `http://127.0.0.1:${port}`;
  const spawnReady = async (): Promise<Proc> => {
    const proc = new Proc('prometheus', 'prometheus', [`--config.file=${cfg}`, `--storage.tsdb.path=${join(o.dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], log);
    const deadline = Date.now() + (o.readyTimeoutMs ?? 30_000);
    for (;;) {
      try {
        if ((await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) })).ok) return proc;
      } catch { /* not up yet */ }
      if (!proc.running || Date.now() > deadline) {
        await proc.stop();
        throw new Error(`prometheus did not become ready on ${url} (log: ${log})`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  let proc = await spawnReady();
  return {
    url,
    get running() {
      return proc.running;
    },
    restart: async () => {
      await proc.stop();
      proc = await spawnReady();
    },
    close: () => proc.stop(),
  };
}
