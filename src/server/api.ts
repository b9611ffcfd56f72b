// HTTP API of `flinkscope serve` (fastify): cluster health, ranked machines, machine score history, incidents with
// explanations and acknowledge, OpenAPI document at /api/openapi.json; optional bearer token; inputs validated with
// clear 4xx messages (task brief "Faces").

import Fastify, { type FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rankMachines, healthSummary } from '../inspect/ranking.js';
import { IncidentError, type IncidentTracker } from '../inspect/incidents.js';
import type { Contribution, JobMover } from '../inspect/explain.js';
import type { Series } from '../core/series.js';
import type { BackpressureCause } from '../inspect/propagation.js';

/** The part of a series in [from, to] as the metrics endpoint returns it: one column per channel. */
export function metricColumns(s: Series, from: number, to: number): { t: number[]; channels: string[]; values: number[][] } {
  const C = s.channels.length;
  const t: number[] = [];
  const values: number[][] = s.channels.map(() => []);
  for (let i = 0; i < s.timestamps.length; i++) {
    if (s.timestamps[i] < from || s.timestamps[i] > to) continue;
    t.push(s.timestamps[i]);
    for (let c = 0; c < C; c++) values[c].push(s.values[i * C + c]);
  }
  // channels with no value in the range (e.g. a metric this machine does not report) are left out
  const keep = values.map((col) => col.some(Number.isFinite));
  return { t, channels: s.channels.filter((_, c) => keep[c]), values: values.filter((_, c) => keep[c]) };
}

/** What the API reads: an in-process view of the inspection state (the store backs it in `serve`). */
export interface InspectionSource {
  threshold: number;
  tracker: IncidentTracker;
  explanations: Map<string, Contribution[]>;
  /** Machine → (timestamps (T,), scores (T,)), oldest first. */
  scores: Map<string, { t: number[]; score: number[] }>;
  /** Incident id → the jobs / operators on its machine whose own metrics moved most (needs per-job samples). */
  movers?: Map<string, JobMover[]>;
  /** Incident id → the machine most likely causing its back-pressure. */
  causes?: Map<string, BackpressureCause>;
  /** Machine → jobs running on it (from Flink's subtask placement), shown with incidents. */
  jobs?: Map<string, string[]>;
  /** The machine's metrics in [from, to] (epoch ms): channel names and one column per channel, NaN for gaps. */
  metrics?: (machine: string, from: number, to: number) => { t: number[]; channels: string[]; values: number[][] } | null;
  /** The model in use: kind, version, training curve. */
  model?: {
    kind: string; version: string; threshold: number; history: { epoch: number; loss: number; valLoss: number | null }[];
    /** Why this version was trained (manual, no-model, schedule, drift) and its latest drift check. */
    reason?: string;
    drift?: { ks: number; critical: number; drifted: boolean; trainMedian: number; recentMedian: number; checkedAt: number };
  };
}

export interface ApiConfig {
  /** When set, every /api request needs `Authorization: Bearer <token>` (else 401). */
  token?: string;
  /** Called after an incident is acknowledged (e.g. to persist it). */
  onAck?: (incidentId: string) => void;
  /** Largest allowed [from, to] range of a score query, ms. Default 7 days. */
  maxRangeMs?: number;
}

/** Path id and [from, to] (epoch ms) query of the per-machine time-range endpoints. */
const machineRangeParams = [
  { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
  { name: 'from', in: 'query', schema: { type: 'integer' } },
  { name: 'to', in: 'query', schema: { type: 'integer' } },
];

const openapi = {
  openapi: '3.0.3',
  info: { title: 'flinkscope inspection API', version: '0.1.0' },
  paths: {
    '/api/health': { get: { summary: 'Cluster health: machines, at risk, score quantiles' } },
    '/api/machines': { get: { summary: 'Machines ranked by risk now' } },
    '/api/machines/{id}/scores': {
      get: {
        summary: 'Anomaly scores of one machine in [from, to] (epoch ms)',
        parameters: machineRangeParams,
      },
    },
    '/api/machines/{id}/metrics': {
      get: {
        summary: 'Metrics of one machine in [from, to] (epoch ms): channels and one column per channel (null = gap)',
        parameters: machineRangeParams,
      },
    },
    '/api/incidents': { get: { summary: 'Incidents with type, onset, state, explanation (metric shares), the jobs on the machine, the jobs / operators that moved most, and for back-pressure the likely cause' } },
    '/api/model': { get: { summary: 'The model in use: kind, version, threshold, training curve' } },
    '/api/incidents/{id}/ack': { post: { summary: 'Acknowledge an open incident' } },
  },
};

export class ApiInputError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'ApiInputError';
  }
}

function intParam(v: unknown, name: string, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new ApiInputError(400, `'${name}' must be an integer (epoch ms), got '${String(v)}'`);
  return n;
}

export function buildApi(src: InspectionSource, cfg: ApiConfig = {}): FastifyInstance {
  const app = Fastify({ logger: false });
  const maxRange = cfg.maxRangeMs ?? 7 * 86_400_000;
  app.addHook('onRequest', async (req, reply) => {
    if (cfg.token && req.url.startsWith('/api/') && req.headers.authorization !== `Bearer ${cfg.token}`) {
      await reply.code(401).send({ error: 'missing or wrong API token (send Authorization: Bearer <token>)' });
    }
  });
  app.setErrorHandler(async (err, _req, reply) => {
    if (err instanceof ApiInputError) return reply.code(err.status).send({ error: err.message });
    const e = err as { statusCode?: number; message: string };
    if (e.statusCode && e.statusCode < 500) return reply.code(e.statusCode).send({ error: e.message });
    return reply.code(500).send({ error: 'internal error' });
  });
  const ranked = () => rankMachines([...src.scores].map(([machine, s]) => ({ machine, scores: s.score, hasActiveIncident: !!src.tracker.active(machine) })), src.threshold);

  app.get('/api/openapi.json', async () => openapi);
  app.get('/api/health', async () => ({ ...healthSummary(ranked()), threshold: src.threshold }));
  app.get('/api/machines', async () => ranked());
  /** [from, to] of a query on machine id: defaults to the last 24 h of its scores; validated. */
  const range = (id: string, q: Record<string, string>): { s: { t: number[]; score: number[] }; from: number; to: number } => {
    const s = src.scores.get(id);
    if (!s) throw new ApiInputError(404, `unknown machine '${id}'`);
    const to = intParam(q.to, 'to', s.t.length ? s.t[s.t.length - 1] : 0);
    const from = intParam(q.from, 'from', to - 86_400_000);
    if (from > to) throw new ApiInputError(400, `'from' (${from}) is after 'to' (${to})`);
    if (to - from > maxRange) throw new ApiInputError(400, `range ${to - from} ms exceeds the maximum of ${maxRange} ms`);
    return { s, from, to };
  };
  app.get<{ Params: { id: string }; Querystring: Record<string, string> }>('/api/machines/:id/scores', async (req) => {
    const { s, from, to } = range(req.params.id, req.query);
    const t: number[] = [], score: number[] = [];
    for (let i = 0; i < s.t.length; i++) if (s.t[i] >= from && s.t[i] <= to) { t.push(s.t[i]); score.push(s.score[i]); }
    return { machine: req.params.id, threshold: src.threshold, t, score };
  });
  app.get<{ Params: { id: string }; Querystring: Record<string, string> }>('/api/machines/:id/metrics', async (req) => {
    const { from, to } = range(req.params.id, req.query);
    const m = src.metrics?.(req.params.id, from, to);
    if (!m) throw new ApiInputError(404, `no metrics stored for machine '${req.params.id}'`);
    // JSON has no NaN: gaps travel as null
    return { machine: req.params.id, t: m.t, channels: m.channels, values: m.values.map((col) => col.map((v) => (Number.isFinite(v) ? v : null))) };
  });
  app.get('/api/incidents', async () => src.tracker.incidents.map((i) => ({ ...i, explanation: src.explanations.get(i.id) ?? [], jobs: src.jobs?.get(i.machine) ?? [], movers: src.movers?.get(i.id) ?? [], cause: src.causes?.get(i.id) ?? null })));
  app.get('/api/model', async () => {
    if (!src.model) throw new ApiInputError(404, 'no model information available');
    return src.model;
  });
  app.post<{ Params: { id: string } }>('/api/incidents/:id/ack', async (req) => {
    try {
      const inc = src.tracker.acknowledge(req.params.id);
      cfg.onAck?.(inc.id);
      return inc;
    } catch (e) {
      if (e instanceof IncidentError) throw new ApiInputError(/unknown/.test(e.message) ? 404 : 409, e.message);
      throw e;
    }
  });
  // Dashboard: static files of web/ and uPlot's dist files from node_modules.
  const webDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'web');
  const uplotDir = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'));
  const files: Record<string, [string, string]> = {
    '/': [join(webDir, 'index.html'), 'text/html; charset=utf-8'],
    '/app.js': [join(webDir, 'app.js'), 'text/javascript; charset=utf-8'],
    '/app.css': [join(webDir, 'app.css'), 'text/css; charset=utf-8'],
    '/vendor/uPlot.iife.min.js': [join(uplotDir, 'uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
    '/vendor/uPlot.min.css': [join(uplotDir, 'uPlot.min.css'), 'text/css; charset=utf-8'],
  };
  for (const [url, [path, type]] of Object.entries(files)) {
    app.get(url, async (_req, reply) => reply.type(type).send(readFileSync(path)));
  }
  return app;
}
