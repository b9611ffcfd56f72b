// The store-backed faces: `watch` (collect → score → incidents → alerts, crash-consistent; src/app/run.ts), `serve`
// (API + dashboard on 127.0.0.1; src/server) and `report` (the inspection report as HTML or Markdown).
import type { Command } from 'commander';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { HttpOptions } from '../../collect/index.js';
import { openStore, DEFAULT_DB } from '../../store/index.js';
import { runWatch } from '../../app/run.js';
import { InspectionService } from '../../app/service.js';
import { reportInput } from '../../app/report.js';
import { renderHtml, renderMarkdown } from '../../inspect/report.js';
import { buildApi } from '../../server/api.js';
import { parseDuration } from './collect.js';
import { parseThreshold } from './eval.js';
import { parseBudget } from '../../inspect/levels.js';
import { parseSlo } from '../../inspect/breach.js';

export function registerInspect(program: Command): void {
  program
    .command('watch')
    .description('Score new samples in the store incrementally (optionally collecting them first), raise typed incidents and alerts')
    .requiredOption('--model <file>', 'model file from `flinkscope train`')
    .option('--db <path>', 'store file', DEFAULT_DB)
    .option('--flink <url>', 'collect from Flink REST before each step')
    .option('--prometheus <url>', 'collect from Prometheus before each step')
    .option('--interval <d>', 'step interval', '10s')
    .option('--steps <n>', 'stop after n ticks (default: until Ctrl-C)')
    .option('--max-rows <n>', 'at most n new rows per machine per committed step (catching up on history)', '360')
    .option('--threshold <rule>', 're-threshold the model: mad[:k], pNN or pot[:risk] over its training scores (default: the rule it was trained with)')
    .option('--false-alarms <n/day>', 'false-alarm budget: pages per machine-day in normal operation (per-machine thresholds fitted on the model\'s training-score tails, updated online); instead of --threshold')
    .option('--event-grace <d>', 'an event on a machine holds its incidents\' pages this long', '10m')
    .option('--slo <metric=limit...>', 'limits per metric (repeatable): a rising incident carries the time until its leading metric crosses its limit', [])
    .option('--webhook <url>', 'POST alerts here')
    .option('--webhook-format <f>', 'json or slack', 'json')
    .option('--retrain-every <d>', 'model life-cycle: retrain on recent history this often (e.g. 24h), and earlier when the scores drift')
    .option('--history <d>', 'with --retrain-every: history to train on', '7d')
    .option('--model-dir <dir>', 'with --retrain-every: where new model versions go (default: next to --model)')
    .action(async (o: { model: string; db: string; flink?: string; prometheus?: string; interval: string; steps?: string; maxRows: string; threshold?: string; falseAlarms?: string; slo: string[]; eventGrace: string; webhook?: string; webhookFormat: string; retrainEvery?: string; history: string; modelDir?: string }) => {
      const store = await openStore(o.db);
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      process.once('SIGTERM', () => ac.abort());
      const http: HttpOptions = { timeoutMs: 5000 };
      const intervalMs = parseDuration(o.interval);
      try {
        const sum = await runWatch({
          store, modelPath: o.model, threshold: o.threshold ? parseThreshold(o.threshold) : undefined, intervalMs,
          falseAlarmsPerDay: o.falseAlarms ? parseBudget(o.falseAlarms) : undefined,
          ticks: o.steps ? Number(o.steps) : undefined, signal: ac.signal,
          source: o.flink || o.prometheus ? { flink: o.flink, prometheus: o.prometheus, http, stepMs: Math.min(intervalMs, 60_000) } : undefined,
          webhook: o.webhook ? { url: o.webhook, format: o.webhookFormat === 'slack' ? 'slack' : 'json' } : undefined,
          retrain: o.retrainEvery ? { everyMs: parseDuration(o.retrainEvery), historyMs: parseDuration(o.history), modelDir: o.modelDir ?? dirname(o.model) } : undefined,
          watch: { maxRowsPerStep: Number(o.maxRows), eventGraceMs: parseDuration(o.eventGrace), slo: o.slo.length ? parseSlo(o.slo) : undefined },
          status: (l) => process.stderr.write(`${l}\n`),
        });
        if (sum.polls > 0 && sum.failedPolls === sum.polls) {
          process.exitCode = 1;
          console.error(`flinkscope: nothing could be collected: all ${sum.polls} polls failed`);
        }
      } finally {
        await store.close();
      }
    });

  program
    .command('serve')
    .description('Serve the inspection API and dashboard from the store (binds 127.0.0.1)')
    .option('--db <path>', 'store file', DEFAULT_DB)
    .option('--port <n>', 'port (0 = any free port)', '8080')
    .option('--host <h>', 'bind address', '127.0.0.1')
    .option('--token <t>', 'require Authorization: Bearer <token> on /api')
    .action(async (o: { db: string; port: string; host: string; token?: string }) => {
      const store = await openStore(o.db);
      const app = buildApi(new InspectionService(store), { token: o.token });
      const addr = await app.listen({ host: o.host, port: Number(o.port) });
      console.log(`dashboard and API: ${addr}/`);
    });

  program
    .command('report')
    .description('Write the inspection report (HTML or Markdown by extension) from the store')
    .option('--db <path>', 'store file', DEFAULT_DB)
    .requiredOption('--out <file>', 'report.html or report.md')
    .action(async (o: { db: string; out: string }) => {
      const store = await openStore(o.db);
      try {
        const input = await reportInput(store);
        mkdirSync(dirname(o.out), { recursive: true });
        writeFileSync(o.out, /\.md$/i.test(o.out) ? renderMarkdown(input) : renderHtml(input));
        console.log(`report: ${o.out} (${input.ranked.length} machines, ${input.incidents.length} incidents)`);
      } finally {
        await store.close();
      }
    });
}
