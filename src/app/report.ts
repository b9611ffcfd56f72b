// The inspection report's facts, gathered from the store (rendering is src/inspect/report.ts).
import type { Store } from '../store/store.js';
import type { ReportInput } from '../inspect/report.js';
import { InspectionService } from './service.js';

export async function reportInput(store: Store, o: { incidents?: number; sparkPoints?: number } = {}): Promise<ReportInput> {
  const svc = new InspectionService(store);
  const [health, machines, model, page] = await Promise.all([svc.health(), svc.machines(), svc.model(), store.incidents({ limit: o.incidents ?? 200 })]);
  const threshold = model?.threshold ?? NaN;
  const scores: Record<string, number[]> = {};
  for (const m of machines.filter((x) => x.atRisk)) {
    const s = await store.scoresRange(m.machine, m.lastTs - 4 * 3_600_000, m.lastTs, o.sparkPoints ?? 240);
    scores[m.machine] = (s.values[0] ?? []).map((v) => v ?? NaN);
  }
  return {
    generatedAt: health.newest ?? Date.now(),
    health: { machines: health.machines, atRisk: health.atRisk, p50: health.p50 ?? NaN, p90: health.p90 ?? NaN, max: health.max ?? NaN },
    ranked: machines.map((m) => ({ machine: m.machine, risk: m.risk, lastScore: m.lastScore, atRisk: m.atRisk })),
    incidents: [...page.items].reverse(),
    scores,
    threshold,
    model: model ? { kind: model.kind, version: model.version } : undefined,
  };
}
