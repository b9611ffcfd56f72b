// GET /api/incidents/:id/evidence — what flinkscope captured from Flink at the incident's onset (src/app/evidence.ts):
// a flame graph of the hot vertex and a thread dump of its TaskManager, each bounded in size, or the reason it could
// not be captured. Mounted by apiRoutes (src/server/api.ts) under its prefix, so its hooks (token, …) apply.
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { InspectionService } from '../app/service.js';
import { ErrorBody, IncidentParams } from './schemas.js';

const Evidence = Type.Object({
  incidentId: Type.String(), kind: Type.Enum(['flamegraph', 'thread-dump'], { type: 'string' }),
  target: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]), { description: 'job, vertex and subtask, or the TaskManager' }),
  requestedAt: Type.Integer(), capturedAt: Type.Integer(),
  latencyMs: Type.Unsafe<number | null>({ type: 'integer', nullable: true, description: 'From the incident\'s onset to the capture' }),
  bytes: Type.Integer(), truncated: Type.Boolean(), error: Type.Unsafe<string | null>({ type: 'string', nullable: true }),
  body: Type.Unknown({ description: 'Flame graph {sampledAt, root: {name, value, children}} or thread dump {threads: [{threadName, stringifiedThreadInfo}], omitted}; null when the capture failed' }),
});
export const EvidenceList = Type.Object({ incident: Type.String(), items: Type.Array(Evidence) });

type Api = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

export function evidenceRoutes(api: Api, svc: InspectionService): void {
  api.get('/incidents/:id/evidence', {
    schema: { summary: 'Evidence captured from Flink at the incident\'s onset: flame graph of the hot vertex, thread dump of its TaskManager', params: IncidentParams, response: { 200: EvidenceList, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody } },
  }, async (req) => svc.evidence(req.params.id));
}
