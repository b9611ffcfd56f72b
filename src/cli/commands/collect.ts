// `flinkscope collect` (Flink REST / Prometheus / files → the embedded store) with a live status line, and
// `flinkscope status` (what the store holds). A source is polled as `watch` polls it (StoreCollector: samples,
// placement and, from Flink into a store, Flink's events). collect exits 1 when nothing could be collected (every
// poll failed, or a file could not be read), after saying why.
import type { Command } from 'commander';
import { readFileSamples, pollLoop } from '../../collect/index.js';
import { CollectPollError, StoreCollector, type CollectSink } from '../../app/collect.js';
import { InspectionService } from '../../app/service.js';
import { describeReport } from '../../data/index.js';
import { openStore, DEFAULT_DB } from '../../store/index.js';
import { KafkaSink, parseKafkaUrl } from '../../collect/kafka.js';
import { opt, check, duration, fromThrowing, httpUrl, nonEmpty, positiveInt, each, UsageError } from '../options.js';
import { addSourceOptions, httpOptions, type SourceOpts } from '../sources.js';

export { DEFAULT_DB };
export { parseDuration } from '../options.js';

interface CollectOpts extends SourceOpts {
  flink?: string; prometheus?: string; file?: string[]; interval: number; db: string; polls?: number; since: number; to?: string;
}

/** Where collected samples go: the store, or a Kafka topic (`--to`) that fleet workers consume. */
type Sink = CollectSink & { close(): Promise<void> };

/** A Kafka topic as a sink: placement travels with the next message of each machine. Wire format v1 has no events:
 *  this sink takes none, so the collector does not poll them (said at the start). */
function kafkaSink(url: string): Sink {
  const k = new KafkaSink(parseKafkaUrl(url));
  let placement: Record<string, string[]> = {};
  return {
    insertSamples: async (s) => {
      const n = await k.send(s, placement);
      placement = {};
      return n;
    },
    recordPlacement: async (jobsOn) => { placement = jobsOn; },
    close: () => k.close(),
  };
}

export function registerCollect(program: Command): void {
  const cmd = program
    .command('collect')
    .description('Collect per-machine metrics from Flink REST, Prometheus or files into the embedded store')
    .addOption(opt('--flink <url>', 'Flink REST endpoint, e.g. http://localhost:8081', httpUrl))
    .addOption(opt('--prometheus <url>', 'Prometheus endpoint, e.g. http://localhost:9090', httpUrl))
    .addOption(opt('--file <path...>', 'CSV / Parquet exports, optionally .gz (one machine per file)', nonEmpty).argParser(each(nonEmpty)))
    .addOption(opt('--interval <d>', 'poll interval', duration, '10s'))
    .addOption(opt('--since <d>', 'Prometheus: how far back the first poll reads', duration, '1h'))
    .addOption(opt('--polls <n>', 'stop after n polls (default: run until Ctrl-C)', positiveInt))
    .addOption(opt('--db <path>', 'store: a file (SQLite) or postgres://…', nonEmpty, DEFAULT_DB))
    .addOption(opt('--to <url>', 'publish to kafka://HOST:PORT/TOPIC instead of the store (for `watch --from`; samples and placement, no Flink events)', check(fromThrowing(parseKafkaUrl))));
  addSourceOptions(cmd).action(async (o: CollectOpts) => {
    const given = [o.flink, o.prometheus, o.file].filter(Boolean).length;
    if (given !== 1) throw new UsageError('give exactly one of --flink, --prometheus, --file');
    const http = httpOptions(o);
    const store: Sink = o.to ? kafkaSink(o.to) : await openStore(o.db);
    const dest = o.to ?? o.db;
    try {
      if (o.file) {
        let failed = 0;
        for (const f of o.file) {
          try {
            const { samples, report, machine } = await readFileSamples(f);
            const n = await store.insertSamples(samples);
            console.log(o.to ? `${f} → ${machine}: ${n} samples published to ${o.to}; ${describeReport(report)}` : `${f} → ${machine}: ${n} new samples (${samples.length - n} already stored); ${describeReport(report)}`);
          } catch (e) {
            failed++; // the other files are still read; the exit code says not everything was
            console.error(`flinkscope: ${(e as Error).message}`);
          }
        }
        if (failed) {
          console.error(`flinkscope: ${failed} of ${o.file.length} files could not be read`);
          process.exitCode = 1;
        }
        return;
      }
      // a failed Prometheus window is read again, but never further back than --since
      // a gap since an earlier run is not told here (`watch` tells it): `collect --polls 1` from cron leaves one by design
      const collector = new StoreCollector(store, { flink: o.flink, prometheus: o.prometheus, http, stepMs: Math.min(o.interval, 60_000), sinceMs: o.since, retryMs: o.since });
      if (o.flink && o.to) process.stderr.write(`note: Flink events (deploys, job states, restarts, failovers) are not published to ${o.to}: the wire format carries samples and placement\n`);
      let events = 0;
      const poll = async () => {
        try {
          const r = await collector.poll();
          events += r.events.length;
          return r;
        } catch (e) {
          if (e instanceof CollectPollError) events += e.events.length; // the collector's collect-failed event
          throw e;
        }
      };
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      const st = await pollLoop(poll, {
        intervalMs: o.interval, maxPolls: o.polls, signal: ac.signal,
        onError: (e) => process.stderr.write(`\nwarning: ${e}\n`),
        onStatus: (s) => process.stderr.write(`\rpolls ${s.polls} · machines ${s.machines} · samples ${s.samples} (${s.samplesPerSec.toFixed(1)}/s) · failed polls ${s.errors}${s.partial ? ` · partial ${s.partial}` : ''}${s.gaps ? ` · non-numeric values ${s.gaps}` : ''}   `),
      });
      process.stderr.write('\n');
      console.log(`stored ${st.samples} new samples (${st.received} received) from ${st.machines} machines in ${st.polls} polls; ${st.errors} failed, ${st.partial} partial; ${st.gaps} non-numeric values skipped${o.flink && !o.to ? `; ${events} new Flink events` : ''} → ${dest}`);
      if (st.received === 0) {
        console.error(`flinkscope: nothing could be collected from ${o.flink ?? o.prometheus}${st.lastError ? ` (last error: ${st.lastError})` : ''}`);
        process.exitCode = 1;
      }
    } finally {
      await store.close();
    }
  });

  program
    .command('status')
    .description('Summarise what the store holds')
    .addOption(opt('--db <path>', 'store file', nonEmpty, DEFAULT_DB))
    .action(async (o: { db: string }) => {
      const store = await openStore(o.db);
      const s = await store.status();
      const iso = (t: number | null): string => (t === null ? '–' : new Date(t).toISOString());
      console.log(`store ${s.location} (${s.engine}, schema v${s.schemaVersion}${s.bytes !== null ? `, ${(s.bytes / 1e6).toFixed(1)} MB` : ''})\n  samples   ${s.samples} from ${s.machines} machines, ${iso(s.from)} → ${iso(s.to)}\n  metrics   ${s.metrics.join(', ') || '–'}\n  models    ${s.models}\n  incidents ${s.incidents.open} open / ${s.incidents.total} total\n  events    ${s.events}`);
      const failing = await new InspectionService(store).collectFailing();
      if (failing) console.log(`  collector failing since ${iso(failing.at)} (${failing.since !== null ? `no data since ${iso(failing.since)}` : 'no data yet'}): ${failing.error}`);
      const placement = await store.placements();
      for (const m of await store.machines()) console.log(`  ${m}: jobs ${(placement.get(m) ?? []).join(', ') || '–'}`);
      await store.close();
    });
}
