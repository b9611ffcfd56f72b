// HTTP API of `flinkscope serve` (fastify) and the dashboard's static files. Routes only: every answer comes from
// the application service (src/app/service.ts), which reads the store per request. Optional bearer token on /api.
import Fastify, { type FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServiceError, type InspectionService } from '../app/service.js';
import { INCIDENT_LABELS, type IncidentLabel } from '../core/incident.js';

export interface ApiConfig {
  /** When set, every /api request needs `Authorization: Bearer <token>` (else 401). */
  token?: string;
}

const openapi = {
  openapi: '3.0.3',
  info: { title: 'flinkscope inspection API', version: '0.1.0' },
  paths: {
    '/api/health': { get: { summary: 'Cluster health: machines, at risk, score quantiles, open incidents' } },
    '/api/machines': { get: { summary: 'Machines ranked by risk now' } },
    '/api/cluster': { get: { summary: 'Heat map (max score / threshold per time bucket) of the riskiest machines' } },
    '/api/machines/{id}/scores': { get: { summary: 'Anomaly scores of one machine in [from, to] (epoch ms), max per bucket' } },
    '/api/machines/{id}/metrics': { get: { summary: 'Metrics of one machine in [from, to] (epoch ms), mean per bucket (null = gap)' } },
    '/api/incidents': { get: { summary: 'Incidents, newest first, filtered (state, type, machine, job, label) and paged by cursor' } },
    '/api/incidents/{id}': { get: { summary: 'One incident with its explanation, jobs, movers, cause and overlapping events' } },
    '/api/incidents/{id}/ack': { post: { summary: 'Acknowledge an open incident' } },
    '/api/incidents/{id}/label': { post: { summary: 'Label an incident: hotspot | false-alarm | expected' } },
    '/api/events': { get: { summary: 'Flink events in [from, to]' } },
    '/api/model': { get: { summary: 'The model in use: kind, version, threshold rule and value, training curve, drift' } },
  },
};

class InputError extends Error {}

function intParam(v: unknown, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new InputError(`'${name}' must be an integer, got '${String(v)}'`);
  return n;
}

export function buildApi(svc: InspectionService, cfg: ApiConfig = {}): FastifyInstance {
  const app = Fastify({ logger: false });
  app.addHook('onRequest', async (req, reply) => {
    if (cfg.token && req.url.startsWith('/api/') && req.headers.authorization !== `Bearer ${cfg.token}`) {
      await reply.code(401).send({ error: 'missing or wrong API token (send Authorization: Bearer <token>)' });
    }
  });
  app.setErrorHandler(async (err, _req, reply) => {
    if (err instanceof ServiceError) return reply.code(err.status).send({ error: err.message });
    if (err instanceof InputError) return reply.code(400).send({ error: err.message });
    const e = err as { statusCode?: number; message: string };
    if (e.statusCode && e.statusCode < 500) return reply.code(e.statusCode).send({ error: e.message });
    return reply.code(500).send({ error: 'internal error' });
  });
  type Q = { Querystring: Record<string, string>; Params: { id: string } };
  const range = (q: Record<string, string>) => ({ from: intParam(q.from, 'from'), to: intParam(q.to, 'to'), points: intParam(q.points, 'points') });

  app.get('/api/openapi.json', async () => openapi);
  app.get('/api/health', async () => svc.health());
  app.get('/api/machines', async () => svc.machines());
  app.get<Q>('/api/cluster', async (req) => svc.cluster({ from: intParam(req.query.from, 'from'), to: intParam(req.query.to, 'to'), buckets: intParam(req.query.buckets, 'buckets'), limit: intParam(req.query.limit, 'limit') }));
  app.get<Q>('/api/machines/:id/scores', async (req) => {
    const s = await svc.scores(req.params.id, range(req.query));
    return { machine: s.machine, threshold: s.threshold, bucketMs: s.bucketMs, t: s.t, score: s.values[0] ?? [] };
  });
  app.get<Q>('/api/machines/:id/metrics', async (req) => svc.metrics(req.params.id, range(req.query)));
  app.get<Q>('/api/incidents', async (req) => {
    const q = req.query;
    return svc.incidents({
      state: q.state as never, type: q.type, machine: q.machine, job: q.job, label: q.label as never,
      from: intParam(q.from, 'from'), to: intParam(q.to, 'to'), limit: intParam(q.limit, 'limit'), cursor: q.cursor,
    });
  });
  app.get<Q>('/api/incidents/:id', async (req) => svc.incident(req.params.id));
  app.post<Q>('/api/incidents/:id/ack', async (req) => svc.acknowledge(req.params.id, 'api'));
  app.post<Q & { Body: { label?: string; note?: string } }>('/api/incidents/:id/label', async (req) => {
    const label = req.body?.label;
    if (!INCIDENT_LABELS.includes(label as IncidentLabel)) throw new InputError(`'label' must be one of ${INCIDENT_LABELS.join(', ')}`);
    return svc.label(req.params.id, label as IncidentLabel, 'api', String(req.body?.note ?? '').slice(0, 500));
  });
  app.get<Q>('/api/events', async (req) => svc.events({ from: intParam(req.query.from, 'from'), to: intParam(req.query.to, 'to'), machine: req.query.machine, limit: intParam(req.query.limit, 'limit') }));
  app.get('/api/model', async () => {
    const m = await svc.model();
    if (!m) throw new ServiceError(404, 'no model recorded in the store yet (flinkscope train --db …)');
    return m;
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
