// `flinkscope collect` (Flink REST / Prometheus / files → the embedded store) with a live status line, and
// `flinkscope status` (what the store holds).
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { FlinkRestSource, PrometheusSource, readFileSamples, pollLoop, type HttpOptions } from '../../collect/index.js';
import type { Sample } from '../../core/sample.js';
import { describeReport } from '../../data/index.js';
import { Store } from '../../store/sqlite.js';

export const DEFAULT_DB = '.flinkscope/flinkscope.db';

export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(s.trim());
  if (!m) throw new Error(`'${s}' is not a duration (e.g. 10s, 5m, 2h)`);
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * mult;
}

interface CollectOpts {
  flink?: string; prometheus?: string; file?: string[]; interval: string; db: string; polls?: string; since: string;
  user?: string; password?: string; token?: string; timeout: string; ca?: string; insecure?: boolean;
}

export function registerCollect(program: Command): void {
  program
    .command('collect')
    .description('Collect per-machine metrics from Flink REST, Prometheus or files into the embedded store')
    .option('--flink <url>', 'Flink REST endpoint, e.g. http://localhost:8081')
    .option('--prometheus <url>', 'Prometheus endpoint, e.g. http://localhost:9090')
    .option('--file <path...>', 'CSV / Parquet exports (one machine per file)')
    .option('--interval <d>', 'poll interval', '10s')
    .option('--since <d>', 'Prometheus: how far back the first poll reads', '1h')
    .option('--polls <n>', 'stop after n polls (default: run until Ctrl-C)')
    .option('--db <path>', 'store file', DEFAULT_DB)
    .option('--user <u>', 'basic-auth user')
    .option('--password <p>', 'basic-auth password')
    .option('--token <t>', 'bearer token')
    .option('--timeout <d>', 'per-request timeout', '5s')
    .option('--ca <pem-file>', 'TLS: trust this CA certificate (PEM)')
    .option('--insecure', 'TLS: do not verify certificates (testing only)')
    .action(async (o: CollectOpts) => {
      const given = [o.flink, o.prometheus, o.file].filter(Boolean).length;
      if (given !== 1) throw new Error('give exactly one of --flink, --prometheus, --file');
      const store = new Store(o.db);
      const tls = o.ca || o.insecure ? { ca: o.ca ? readFileSync(o.ca, 'utf8') : undefined, insecure: !!o.insecure } : undefined;
      const http: HttpOptions = { tls, timeoutMs: parseDuration(o.timeout), auth: o.token ? { bearer: o.token } : o.user ? { basic: { user: o.user, password: o.password ?? '' } } : undefined };
      try {
        if (o.file) {
          for (const f of o.file) {
            const { samples, report } = await readFileSamples(f);
            const n = store.insertSamples(samples);
            console.log(`${f}: ${n} new samples (${samples.length - n} already stored); ${describeReport(report)}`);
          }
          return;
        }
        let poll: () => Promise<Sample[]>;
        if (o.flink) {
          const src = new FlinkRestSource(o.flink, http);
          poll = async () => {
            const r = await src.poll();
            store.recordPlacement(r.jobsOn, Date.now());
            for (const e of r.errors) process.stderr.write(`\nwarning: ${e}\n`);
            return r.samples;
          };
        } else {
          const src = new PrometheusSource(o.prometheus!, { ...http, stepMs: Math.min(parseDuration(o.interval), 60_000) });
          let from = Date.now() - parseDuration(o.since);
          poll = async () => {
            const to = Date.now();
            const s = await src.range(from, to);
            from = to;
            return s;
          };
        }
        const ac = new AbortController();
        process.once('SIGINT', () => ac.abort());
        const st = await pollLoop(poll, (b) => store.insertSamples(b), {
          intervalMs: parseDuration(o.interval), maxPolls: o.polls ? Number(o.polls) : undefined, signal: ac.signal,
          onStatus: (s) => process.stderr.write(`\rpolls ${s.polls} · machines ${s.machines} · samples ${s.samples} (${s.samplesPerSec.toFixed(1)}/s) · errors ${s.errors}${s.lastError ? ` (last: ${s.lastError.slice(0, 80)})` : ''}   `),
        });
        process.stderr.write('\n');
        console.log(`stored ${st.samples} samples from ${st.machines} machines in ${st.polls} polls; ${st.errors} failed polls → ${o.db}`);
      } finally {
        store.close();
      }
    });

  program
    .command('status')
    .description('Summarise what the store holds')
    .option('--db <path>', 'store file', DEFAULT_DB)
    .action((o: { db: string }) => {
      const store = new Store(o.db);
      const s = store.status();
      const iso = (t: number | null): string => (t === null ? '–' : new Date(t).toISOString());
      console.log(`store ${s.path} (schema v${s.schemaVersion})\n  samples   ${s.samples} from ${s.machines} machines, ${iso(s.from)} → ${iso(s.to)}\n  metrics   ${s.metrics.join(', ') || '–'}\n  models    ${s.models}\n  incidents ${s.incidents.open} open / ${s.incidents.total} total`);
      for (const m of store.machines()) console.log(`  ${m}: jobs ${store.jobsOn(m).join(', ') || '–'}`);
      store.close();
    });
}
