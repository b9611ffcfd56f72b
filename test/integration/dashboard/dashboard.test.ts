// Dashboard in headless Chromium (playwright-core, Debian's /usr/bin/chromium): pages load, charts render, an incident
// is acknowledged, a screenshot of each page lands in artifacts/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { buildApi } from '../../../src/server/api.js';
import { InspectionService } from '../../../src/app/service.js';
import { inspectedStore } from '../../helpers/inspected.js';

test('dashboard pages in headless Chromium', { timeout: 120_000 }, async () => {
  const { store } = await inspectedStore();
  const app = buildApi(new InspectionService(store));
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
    assert.match(await page.textContent('main') ?? '', /moved most: orders-enrich \/ enrich \(busy_ms_per_s \+\d+\.\dσ\)/, 'the job that moved most is named with its incident');
    await page.click('button[data-ack]');
    await page.waitForFunction(() => document.querySelector('td.state')?.textContent === 'acknowledged');
    await page.goto(`${base}/#/model`);
    await page.waitForSelector('.uplot canvas');
    assert.match(await page.textContent('main') ?? '', /zscore #1 \(trained: drift\)/);
    assert.match(await page.textContent('#drift') ?? '', /score distribution shifted/);
    await page.screenshot({ path: join(shots, 'model.png') });
  } finally {
    await browser.close();
    await app.close();
    await store.close();
  }
});
