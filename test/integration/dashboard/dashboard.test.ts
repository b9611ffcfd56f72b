// Dashboard in headless Chromium (playwright-core, Debian's /usr/bin/chromium): pages load, charts render, an incident
// is acknowledged, a screenshot of each page lands in artifacts/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { buildApi, metricColumns, type InspectionSource } from '../../../src/server/api.js';
import { IncidentTracker } from '../../../src/inspect/incidents.js';
import { OnlineScorer } from '../../../src/inspect/online.js';
import type { Series } from '../../../src/core/series.js';

const zscore = (s: Series): Float32Array => {
  const out = new Float32Array(s.timestamps.length);
  for (let t = 0; t < out.length; t++) out[t] = Math.abs(s.values[t] - 50) / 5;
  return out;
};

function source(): InspectionSource {
  const tracker = new IncidentTracker();
  const sc = new OnlineScorer({ channels: ['cpu'], window: 32, threshold: 3, score: zscore }, tracker);
  const scores = new Map<string, { t: number[]; score: number[] }>();
  const series = new Map<string, Series>();
  for (let m = 0; m < 6; m++) {
    const ts: number[] = [], v: number[] = [];
    for (let i = 0; i < 200; i++) { ts.push(1.7e12 + i * 10_000); v.push(50 + ((i * 7 + m) % 5) - 2 + (m === 2 && i >= 120 && i < 160 ? 30 : 0)); }
    const pts = sc.ingest(`tm-${m}`, ts, v);
    scores.set(`tm-${m}`, { t: pts.map((p) => p.t), score: pts.map((p) => p.score) });
    // two metrics: cpu (the scored one) and a latency that follows it
    const values = new Float32Array(ts.length * 2);
    v.forEach((x, i) => { values[2 * i] = x; values[2 * i + 1] = 20 + x / 2; });
    series.set(`tm-${m}`, { name: `tm-${m}`, timestamps: Float64Array.from(ts), channels: ['cpu', 'latency_ms'], values });
  }
  const metrics = (machine: string, from: number, to: number) => (series.has(machine) ? metricColumns(series.get(machine)!, from, to) : null);
  const movers = new Map(tracker.incidents.map((i) => [i.id, [{ job: 'orders-enrich', operator: 'enrich', metric: 'busy_ms_per_s', meanZ: 9.4 }]]));
  return { metrics, movers, threshold: 3, tracker, explanations: sc.explanations, scores, jobs: new Map([['tm-2', ['orders-enrich']]]), model: { kind: 'ccl', version: '#1', threshold: 3, reason: 'drift', drift: { ks: 0.4, critical: 0.1, drifted: true, trainMedian: 0.5, recentMedian: 1.5, checkedAt: 1.7e12 }, history: [{ epoch: 1, loss: 1, valLoss: 1.1 }, { epoch: 2, loss: 0.6, valLoss: 0.7 }, { epoch: 3, loss: 0.5, valLoss: 0.65 }] } };
}

test('dashboard pages in headless Chromium', { timeout: 120_000 }, async () => {
  const app = buildApi(source());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const shots = join('artifacts', 'screenshots');
  mkdirSync(shots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    await page.goto(`${base}/#/`);
    await page.waitForSelector('#rank tr:nth-child(2)');
    const painted = await page.evaluate(() => {
      const c = document.getElementById('heat') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    });
    assert.ok(painted > 1000, `heat map painted ${painted} pixels`);
    assert.match(await page.textContent('#rank') ?? '', /tm-2/);
    await page.screenshot({ path: join(shots, 'overview.png') });
    await page.goto(`${base}/#/machine/tm-2`);
    await page.waitForSelector('#metrics .uplot canvas');
    const charts = await page.evaluate(() => Array.from(document.querySelectorAll('.uplot')).map((u) => ({
      w: (u.querySelector('canvas') as HTMLCanvasElement).width,
      shaded: (u as HTMLElement).dataset.shaded,
      legend: u.textContent ?? '',
    })));
    assert.equal(charts.length, 2, 'score chart and metrics chart');
    assert.ok(charts.every((c) => c.w > 0));
    assert.ok(charts.every((c) => Number(c.shaded) >= 1), `the incident is shaded on both charts: ${JSON.stringify(charts.map((c) => c.shaded))}`);
    assert.match(charts[1].legend, /latency_ms/, 'the metrics chart shows the machine\'s metrics');
    assert.match(await page.textContent('#segments') ?? '', /sustained-high|level-shift|spike|trend/, 'typed segment listed');
    await page.screenshot({ path: join(shots, 'machine.png') });
    await page.goto(`${base}/#/incidents`);
    await page.waitForSelector('button[data-ack]');
    await page.screenshot({ path: join(shots, 'incidents.png') });
    assert.match(await page.textContent('main') ?? '', /moved most: orders-enrich \/ enrich \(busy_ms_per_s \+9\.4σ\)/, 'the job that moved most is named with its incident');
    await page.click('button[data-ack]');
    await page.waitForFunction(() => document.querySelector('td.state')?.textContent === 'acknowledged');
    await page.goto(`${base}/#/model`);
    await page.waitForSelector('.uplot canvas');
    assert.match(await page.textContent('main') ?? '', /ccl #1 \(trained: drift\)/);
    assert.match(await page.textContent('#drift') ?? '', /score distribution shifted/);
    await page.screenshot({ path: join(shots, 'model.png') });
  } finally {
    await browser.close();
    await app.close();
  }
});
