// HTTP face of `flinkscope serve` (fastify): the /api routes (answers from the application service, which reads the
// store per request), the Prometheus exposition on /metrics, and the dashboard's static files. Security is
// src/server/security.ts; shapes are src/server/schemas.ts (validated in, serialised out, published as OpenAPI).
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServiceError, type InspectionService } from '../app/service.js';
import * as S from './schemas.js';
import { assertBindSafe, hostCheck, tokenCheck, writeCheck, SECURITY_HEADERS, type SecurityConfig } from './security.js';
import { metricsRoute } from './metrics.js';
import { rangeReader, type RangeReads } from './reader.js';
import { evidenceRoutes } from './evidence.js';

export interface ApiConfig extends SecurityConfig {
  /** Where range routes are read: a worker thread (default for a file store) or in-process (the reference in
   *  bench:api). */
  rangeReads?: 'worker' | 'in-process';
}

const finite = (v: number | null | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A validation failure → one line naming the parameter: "querystring 'from' must be integer (got 'abc')". */
function validationMessage(err: FastifyError, input: unknown): string {
  const v = err.validation?.[0];
  if (!v) return err.message;
  const name = v.instancePath.replace(/^\//, '').replace(/\//g, '.') || (v.params as { missingProperty?: string; additionalProperty?: string }).additionalProperty || (v.params as { missingProperty?: string }).missingProperty || '';
  const where = err.validationContext ?? 'request';
  if (v.keyword === 'additionalProperties') return `${where}: unknown parameter '${name}'`;
  if (v.keyword === 'required') return `${where}: '${name}' is required`;
  const got = name && input && typeof input === 'object' ? (input as Record<string, unknown>)[name.split('.')[0]] : undefined;
  const allowed = v.keyword === 'anyOf' || v.keyword === 'const' ? ' (see /api/openapi.json for the allowed values)' : '';
  return `${where} '${name}' ${v.message ?? 'is invalid'}${got !== undefined ? ` (got '${String(got).slice(0, 60)}')` : ''}${allowed}`;
}

export function buildApi(svc: InspectionService, cfg: ApiConfig = {}): FastifyInstance {
  assertBindSafe(cfg.host ?? '127.0.0.1', cfg.token);
  const app = Fastify({
    logger: false,
    // refuse unknown parameters instead of dropping them; no type coercion beyond query strings' numbers
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, useDefaults: false } },
    bodyLimit: 16 * 1024,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', hostCheck(cfg));
  app.addHook('onSend', async (_req, reply) => {
    reply.headers(SECURITY_HEADERS);
  });
  app.setErrorHandler(async (err: FastifyError, req, reply) => {
    if (err instanceof ServiceError) return reply.code(err.status).send({ error: err.message });
    if (err.validation) return reply.code(400).send({ error: validationMessage(err, err.validationContext === 'body' ? req.body : err.validationContext === 'params' ? req.params : req.query) });
    if (err.statusCode && err.statusCode < 500) return reply.code(err.statusCode).send({ error: err.message });
    return reply.code(500).send({ error: 'internal error' });
  });
  app.setNotFoundHandler(async (req, reply) => reply.code(404).send({ error: `no route ${req.method} ${req.url.slice(0, 100)}` }));

  app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'flinkscope inspection API', version: '0.2.0', description: 'Hotspots in Apache Flink clusters: scores, incidents, the model in use. Every route needs `Authorization: Bearer <token>` when serve runs with --token.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  const reads = rangeReader(svc, cfg.rangeReads ?? 'worker');
  app.addHook('onClose', async () => reads.close());
  app.register(async (api) => apiRoutes(api.withTypeProvider<TypeBoxTypeProvider>(), svc, reads, cfg), { prefix: '/api' });
  app.register(async (m) => {
    m.addHook('onRequest', tokenCheck(cfg));
    metricsRoute(m, svc);
  });
  staticFiles(app);
  return app;
}

type Api = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

/** The /api routes. Registered in their own plugin: its hooks run on every route matched under the prefix. Range
 *  routes are read by `reads` (a worker thread for a file store: src/server/reader.ts). */
function apiRoutes(api: Api, svc: InspectionService, reads: RangeReads, cfg: ApiConfig): void {
  api.addHook('onRequest', tokenCheck(cfg));
  api.addHook('onRequest', writeCheck());
  const ok = <T extends object>(response: T) => ({ ...response, ...S.errors });

  api.get('/openapi.json', { schema: { hide: true } }, async () => api.swagger());
  api.get('/health', { schema: { summary: 'Cluster health: machines, at risk, score quantiles, open incidents', response: ok({ 200: S.Health }) } },
    async () => svc.health());
  api.get('/machines', { schema: { summary: 'Machines ranked by risk now (the riskiest `limit`, or one `machine`)', querystring: S.MachinesQuery, response: ok({ 200: { type: 'array', items: S.MachineRow } }) } },
    async (req) => svc.machines(req.query));
  api.get('/cluster', { schema: { summary: 'Heat map: the highest score on the alarm scale (1 = the opening level) per time bucket of the riskiest machines', querystring: S.ClusterQuery, response: ok({ 200: S.Cluster }) } },
    async (req) => reads.cluster(req.query));
  api.get('/machines/:id/scores', { schema: { summary: 'Anomaly scores of one machine, max per bucket', params: S.MachineParams, querystring: S.RangeQuery, response: ok({ 200: S.Scores }) } },
    async (req) => {
      const s = await reads.scores(req.params.id, req.query);
      return { machine: s.machine, threshold: s.threshold, levels: s.levels, bucketMs: s.bucketMs, t: s.t, score: s.values[0] ?? [] };
    });
  api.get('/machines/:id/metrics', { schema: { summary: 'Metrics of one machine, mean per bucket (null = gap)', params: S.MachineParams, querystring: S.RangeQuery, response: ok({ 200: S.Metrics }) } },
    async (req) => reads.metrics(req.params.id, req.query));
  api.get('/incidents', { schema: { summary: 'Incidents, newest first, filtered and paged by cursor', querystring: S.IncidentsQuery, response: ok({ 200: S.IncidentPage }) } },
    async (req) => svc.incidents(req.query));
  api.get('/incidents/:id', { schema: { summary: 'One incident with its explanation, jobs, movers, cause and overlapping events', params: S.IncidentParams, response: ok({ 200: S.IncidentDetail }) } },
    async (req) => svc.incident(req.params.id));
  api.post('/incidents/:id/ack', { schema: { summary: 'Acknowledge an open incident (409 when resolved)', params: S.IncidentParams, body: S.AckBody, response: ok({ 200: S.Incident, 409: S.ErrorBody, 415: S.ErrorBody, 403: S.ErrorBody }) } },
    async (req) => svc.acknowledge(req.params.id, 'api'));
  api.post('/incidents/:id/label', { schema: { summary: 'Label an incident: hotspot | false-alarm | expected', params: S.IncidentParams, body: S.LabelBody, response: ok({ 200: S.Incident, 415: S.ErrorBody, 403: S.ErrorBody }) } },
    async (req) => svc.label(req.params.id, req.body.label, 'api', req.body.note ?? ''));
  evidenceRoutes(api, svc);
  api.get('/events', { schema: { summary: 'Flink events in [from, to], optionally on one machine', querystring: S.EventsQuery, response: ok({ 200: { type: 'array', items: S.FlinkEvent } }) } },
    async (req) => svc.events(req.query));
  api.get('/model', { schema: { summary: 'The model in use: kind, version, threshold rule and value, training curve, drift', response: ok({ 200: S.Model }) } },
    async () => {
      const m = await svc.model();
      if (!m) throw new ServiceError(404, 'no model recorded in the store yet (flinkscope train --db …)');
      return {
        ...m, threshold: finite(m.threshold),
        history: m.history.map((h) => ({ epoch: h.epoch, loss: finite(h.loss), valLoss: finite(h.valLoss), ms: finite(h.ms) })),
        drift: m.drift && { ...m.drift, trainMedian: finite(m.drift.trainMedian), recentMedian: finite(m.drift.recentMedian) },
      };
    });
}

/** The dashboard (web/) and uPlot's dist files: public, they hold no data. */
function staticFiles(app: FastifyInstance): void {
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
    app.get(url, { schema: { hide: true } }, async (_req, reply) => reply.type(type).send(readFileSync(path)));
  }
}

/** Builds the API and listens on host:port (refusing a non-loopback bind without a token); returns the address. */
export async function serveApi(svc: InspectionService, o: ApiConfig & { port: number }): Promise<{ app: FastifyInstance; address: string }> {
  const app = buildApi(svc, o);
  const address = await app.listen({ host: o.host ?? '127.0.0.1', port: o.port });
  return { app, address };
}
