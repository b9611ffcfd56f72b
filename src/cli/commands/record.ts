// `flinkscope record`: a labelled hotspot recording from a real Flink cluster (src/app/lab/record.ts; the format is
// docs/flink-lab.md). Progress on stderr; Ctrl-C stops the cluster and writes nothing.
import type { Command } from 'commander';
import { record } from '../../app/lab/record.js';
import { parseDuration } from './collect.js';

interface RecordOpts { out?: string; minutes: string; seed: string; scrape: string; taskManagers: string; faults?: string; failovers?: string; warmup: string; gzip: boolean }

/** A whole number from an option, or a one-line error naming the option. */
function int(name: string, v: string): number {
  if (!/^\d+$/.test(v.trim())) throw new Error(`${name} must be a whole number, got '${v}'`);
  return Number(v);
}

export function registerRecord(program: Command): void {
  program
    .command('record')
    .description('Record a labelled hotspot benchmark from a real Flink cluster (flink-lab): faults injected into running jobs, metrics through the collectors')
    .option('--out <dir>', 'output directory (new or empty)')
    .option('--minutes <n>', 'length of the recorded part', '40')
    .option('--seed <n>', 'seed of the load profile and the fault schedule', '1')
    .option('--scrape <d>', 'poll and scrape interval', '2s')
    .option('--task-managers <n>', 'TaskManagers (separate JVMs)', '3')
    .option('--faults <n>', 'hotspot faults (default: one per 7 minutes, at least 2)')
    .option('--failovers <n>', 'TaskManager failovers (default: 1 from 20 minutes on)')
    .option('--warmup <d>', 'time between the jobs running and the first recorded row', '60s')
    .option('--no-gzip', 'write plain CSV instead of .csv.gz')
    .action(async (o: RecordOpts) => {
      if (!o.out) throw new Error('--out DIR is required');
      const minutes = Number(o.minutes);
      if (!Number.isFinite(minutes)) throw new Error(`--minutes must be a number, got '${o.minutes}'`);
      const ac = new AbortController();
      const stop = (): void => {
        process.stderr.write('\nstopping (Ctrl-C): the cluster is shut down, nothing is written\n');
        ac.abort();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const started = Date.now();
      const r = await record({
        out: o.out, minutes, seed: int('--seed', o.seed), scrapeMs: parseDuration(o.scrape), taskManagers: int('--task-managers', o.taskManagers),
        faults: o.faults === undefined ? undefined : int('--faults', o.faults), failovers: o.failovers === undefined ? undefined : int('--failovers', o.failovers),
        warmupMs: parseDuration(o.warmup), gzip: o.gzip, signal: ac.signal,
        progress: (line) => process.stderr.write(`[record ${new Date().toISOString().slice(11, 19)}] ${line}\n`),
      });
      console.log(`${r.dir}: ${r.faults.filter((f) => f.page).length} hotspot faults, ${r.faults.filter((f) => !f.page).length} failovers, ${r.events.length} events; ${Math.round((Date.now() - started) / 60_000)} min`);
      console.log(`read it with: --dataset flink-lab:${r.dir}`);
    });
}
