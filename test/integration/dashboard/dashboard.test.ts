// Dashboard in headless Chromium (playwright-core, Debian's /usr/bin/chromium) against a served store the real
// watcher filled, behind a token: the cluster heat map (machine labels, time axis, a row click opens the machine), the
// machine page (score vs threshold and one small chart per metric sharing one cursor, the incident shaded, Flink
// events marked), incident filters and cursor paging, the incident page (explanation, movers, label and acknowledge
// through the buttons), the model page. A screenshot of each page lands in artifacts/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { serveApi } from '../../../src/server/api.js';
import { InspectionService } from '../../../src/app/service.js';
import { inspectedStore, at } from '../../helpers/inspected.js';
import { collectFailedEvent, collectResumedEvent } from '../../../src/core/outage.js';

const TOKEN = 'dashboard-token-42';

test('dashboard pages in headless Chromium', { timeout: 180_000 }, async () => {
  const { store } = await inspectedStore();
  // Flink events after the watcher ran: a restart on the hot machine during its incident, a cluster-wide deploy
  await store.insertEvents([
    { id: 'ev-restart', ts: at(130), kind: 'restart', job: 'orders-enrich', machines: ['tm-2'], detail: 'orders-enrich restarted (numRestarts 3 → 4)' },
    { id: 'ev-deploy', ts: at(60), kind: 'deploy', machines: [], detail: 'job orders-enrich deployed' },
    { id: 'ev-failover', ts: at(40), kind: 'failover', job: 'orders-enrich', machines: ['tm-5'], detail: 'orders-enrich failed over from tm-5' },
  ]);
  // and an older, resolved incident on another machine (as the watcher writes one), so there are two pages of one —
  // recorded as a symptom of the hot machine's incident (never paged on its own)
  const hostId = (await store.incidents({ machine: 'tm-2' })).items[0].id;
  await store.commitStep({
    scores: [], modelId: null, scorerStates: [], alerts: [], status: [], meta: {},
    incidents: [{ id: 'inc-0', machine: 'tm-4', state: 'resolved', type: 'spike', onset: at(20), lastSeen: at(22), resolvedAt: at(30), peak: 4, segments: 1,
      explanation: [{ name: 'latency_ms', share: 1, meanZ: 5 }], jobs: [], movers: [], cause: null, events: [], paged: false, symptomOf: hostId },
    // and the after-effect of a failover: held by the event's grace period, never paged
    { id: 'inc-ae', machine: 'tm-5', state: 'resolved', type: 'level-shift', onset: at(41), lastSeen: at(44), resolvedAt: at(50), peak: 6, segments: 1,
      explanation: [{ name: 'records_in_per_s', share: 1, meanZ: -6 }], jobs: [], movers: [], cause: null, events: ['ev-failover'], paged: false, afterEffectOf: 'ev-failover' }],
  });
  // the hot machine's incident rose again while it was open — after a dip, led by another metric: an update was sent
  const host = (await store.incident(hostId))!;
  const renewals = [{ from: at(124), at: at(126), dipMs: 30_000, lead: 'records_lag', leadBefore: 'cpu_load' }];
  await store.commitStep({ scores: [], modelId: null, scorerStates: [], alerts: [], status: [], meta: {}, incidents: [{ ...host, paged: true, updates: [at(126)], renewals }] });
  const { app, address: base } = await serveApi(new InspectionService(store), { port: 0, token: TOKEN });
  const shots = join('artifacts', 'screenshots');
  mkdirSync(shots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  const errors: string[] = [];
  const open = async (page: Page, hash: string): Promise<void> => {
    await page.evaluate((h) => { location.hash = h; }, hash);
    await page.waitForFunction((h) => document.body.dataset.ready === h, hash);
  };
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('pageerror', (e) => errors.push(e.message));
    // the token once in the address; the page keeps it for the session and takes it out of the address
    await page.goto(`${base}/?token=${TOKEN}#/`);
    await page.waitForFunction(() => document.body.dataset.ready === '#/');
    assert.doesNotMatch(page.url(), /token/, 'the token is not left in the address bar');
    assert.doesNotMatch(await page.textContent('main') ?? '', /Error/);

    // cluster: the heat map paints cells, machine labels (left) and a time axis (bottom)
    const paint = await page.evaluate(() => {
      const c = document.getElementById('heat') as HTMLCanvasElement;
      const g = c.getContext('2d')!;
      const r = devicePixelRatio;
      const dark = (x: number, y: number, w: number, h: number): number => {
        const d = g.getImageData(x * r, y * r, w * r, h * r).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && d[i] + d[i + 1] + d[i + 2] < 200) n++;
        return n;
      };
      const rows = (c.height / r - 24) / 16;
      let coloured = 0;
      const d = g.getImageData(110 * r, 0, c.width - 110 * r, (c.height - 24 * r)).data;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && !(d[i] === d[i + 1] && d[i + 1] === d[i + 2])) coloured++;
      // hot cells (orange to red: at or above the opening level on the alarm scale) per row
      const hot = Array.from({ length: rows }, (_, k) => {
        const e = g.getImageData(110 * r, (k * 16 + 4) * r, c.width - 110 * r, 8 * r).data;
        let n = 0;
        for (let i = 0; i < e.length; i += 4) if (e[i + 3] > 0 && e[i] > 230 && e[i + 1] < 140) n++;
        return n;
      });
      return { rows, labels: dark(0, 0, 108, rows * 16), axis: dark(110, rows * 16 + 2, c.width / r - 110, 20), coloured, hot };
    });
    assert.equal(paint.rows, 6, 'one heat-map row per machine');
    assert.ok(paint.labels > 200, `machine labels drawn (${paint.labels} dark pixels)`);
    assert.ok(paint.axis > 200, `time axis drawn (${paint.axis} dark pixels)`);
    assert.ok(paint.coloured > 5000, `cells painted (${paint.coloured} pixels)`);
    assert.match(await page.textContent('#rank') ?? '', /tm-2/);
    assert.ok(paint.hot[0] > 50, `the riskiest machine's hotspot is painted hot (${paint.hot})`);
    assert.deepEqual(paint.hot.slice(1).filter((n) => n > 0), [], `no other row is (${paint.hot})`);
    assert.match(await page.textContent('.scale') ?? '', /1 = opening level/, 'the legend names the alarm scale');
    await page.screenshot({ path: join(shots, 'cluster.png'), fullPage: true });
    // a click on the top row (the riskiest machine) opens its page
    const top = await page.textContent('#rank tr:nth-child(2) td:first-child');
    await page.click('#heat', { position: { x: 300, y: 8 } });
    await page.waitForFunction((m) => document.body.dataset.ready === `#/machine/${m}`, top);

    // machine: score chart + one small chart per metric, all shaded, events marked, one shared cursor
    await open(page, '#/machine/tm-2');
    const charts = await page.evaluate(() => Array.from(document.querySelectorAll('.uplot')).map((u) => ({
      title: u.querySelector('.u-title')?.textContent ?? '',
      shaded: Number((u as HTMLElement).dataset.shaded),
      events: Number((u as HTMLElement).dataset.events),
      updates: Number((u as HTMLElement).dataset.updates),
      levels: (u as HTMLElement).dataset.levels,
    })));
    assert.deepEqual(charts.map((c) => c.title), ['Anomaly score (max per bucket) and the opening level', 'cpu', 'latency_ms'], 'a score chart, then one chart per metric');
    assert.equal(charts[0].levels, '3', "the score is drawn against the opening level the watcher's model held on the machine");
    assert.ok(charts.every((c) => c.shaded >= 1), `the incident is shaded on every chart: ${JSON.stringify(charts)}`);
    assert.ok(charts.every((c) => c.events === 2), `both Flink events are marked on every chart: ${JSON.stringify(charts)}`);
    assert.ok(charts.every((c) => c.updates === 1), `the incident's update is marked on every chart: ${JSON.stringify(charts)}`);
    assert.match(await page.textContent('#events') ?? '', /orders-enrich restarted/);
    assert.match(await page.textContent('#segments') ?? '', /sustained-high|level-shift|spike|trend/, 'typed incident listed');
    const over = await page.locator('#score .u-over').boundingBox();
    await page.mouse.move(over!.x + over!.width * 0.6, over!.y + over!.height / 2);
    const cursors = await page.evaluate(() => Array.from(document.querySelectorAll('.uplot .u-cursor-x')).map((c) => (c as HTMLElement).style.transform || (c as HTMLElement).style.left));
    assert.equal(cursors.length, 3);
    const xs = cursors.map((c) => Number(/translate\(([\d.]+)px/.exec(c)?.[1] ?? /([\d.]+)px/.exec(c)?.[1] ?? NaN));
    assert.ok(xs.every((x) => x > 0), `the cursor shows on every chart: ${JSON.stringify(cursors)}`);
    assert.ok(Math.abs(xs[1] / xs[0] - (await page.locator('.small .u-over').first().boundingBox())!.width / over!.width) < 0.05, 'the small charts follow the score chart\'s cursor (same time)');
    await page.screenshot({ path: join(shots, 'machine.png'), fullPage: true });

    // incidents: filters and cursor paging
    await open(page, '#/incidents?state=all');
    const all = await page.locator('#incidents tr').count() - 1;
    assert.ok(all >= 1);
    await page.fill('input[name=machine]', 'tm-0');
    await page.click('#filters button');
    await page.waitForFunction(() => (document.body.dataset.ready ?? '').includes('machine=tm-0'));
    assert.match(await page.textContent('#incidents') ?? '', /no incidents match/);
    await page.fill('input[name=machine]', 'tm-2');
    await page.selectOption('select[name=label]', 'none');
    await page.click('#filters button');
    await page.waitForFunction(() => (document.body.dataset.ready ?? '').includes('machine=tm-2'));
    const machines = await page.$$eval('#incidents tr td:nth-child(2)', (tds) => tds.map((t) => t.textContent));
    assert.ok(machines.length >= 1 && machines.every((m) => m === 'tm-2'), `only tm-2: ${machines.join(', ')}`);
    const firstId = await page.textContent('#incidents tr:nth-child(2) td:first-child');
    await page.screenshot({ path: join(shots, 'incidents.png'), fullPage: true });
    assert.equal(all, 3);
    // a symptom says whose, in the list and on its page
    await open(page, '#/incidents?state=all&machine=tm-4');
    assert.match(await page.textContent('#incidents') ?? '', new RegExp(`symptom of ${hostId}`));
    await open(page, '#/incident/inc-0');
    assert.match(await page.textContent('#paged') ?? '', new RegExp(`^no — a symptom of ${hostId}$`));
    assert.match(await page.textContent('#peak') ?? '', /^score 4\.00 \(threshold [\d.]+\)$/, 'an incident stored before the alarm scale: its raw score');
    await open(page, `#/incident/${hostId}`);
    assert.match(await page.textContent('#paged') ?? '', new RegExp(`^yes.*; rose again while open — updates sent at ${new Date(at(126)).toISOString().slice(0, 16).replace('T', ' ')} \\(now led by records_lag, before: cpu_load\\)$`));
    assert.equal(await page.evaluate(() => (document.querySelector('#score .uplot') as HTMLElement | null)?.dataset.updates), '1', 'and marked on its score chart');
    // the watcher's incident: its peak on the alarm scale (comparable across machines and retrainings), the raw score beside it
    assert.match(await page.textContent('#peak') ?? '', /^\d+\.\d\d on the alarm scale \(0 = keep-open level, 1 = opening level; raw score [\d.]+\)$/);
    // an after-effect names its event in the list and on its page, and the event lists it
    await open(page, '#/incidents?state=all&machine=tm-5');
    assert.match(await page.textContent('#incidents') ?? '', /after-effect of ev-failover/);
    await open(page, '#/incident/inc-ae');
    assert.match(await page.textContent('#paged') ?? '', /^no — an after-effect of the event ev-failover/);
    assert.match(await page.textContent('#events tr:has-text("failed over")') ?? '', /inc-ae/, 'the event row lists its after-effect');
    {
      await open(page, '#/incidents?state=all&limit=1');
      const p1 = await page.textContent('#incidents tr:nth-child(2) td:first-child');
      await page.click('#next');
      await page.waitForFunction(() => (document.body.dataset.ready ?? '').includes('cursor='));
      const p2 = await page.textContent('#incidents tr:nth-child(2) td:first-child');
      assert.notEqual(p1, p2, 'the next page holds the next incident');
      await page.click('#prev');
      await page.waitForFunction(() => !(document.body.dataset.ready ?? '').includes('cursor='));
      assert.equal(await page.textContent('#incidents tr:nth-child(2) td:first-child'), p1);
    }

    // incident page: explanation, movers, events; label and acknowledge through the buttons
    await open(page, `#/incident/${firstId}`);
    assert.match(await page.textContent('#explanation') ?? '', /^cpu/, 'cpu explains most');
    assert.match(await page.textContent('#movers') ?? '', /orders-enrich\s*enrich\s*busy_ms_per_s\s*\+\d+\.\dσ/);
    assert.match(await page.textContent('#events') ?? '', /restart/);
    await page.fill('#note', 'noisy neighbour');
    await page.click('button[data-label=false-alarm]');
    await page.waitForFunction(() => /false-alarm/.test(document.getElementById('label')?.textContent ?? ''));
    const rec = (await store.incident(firstId!))!;
    assert.deepEqual([rec.label?.value, rec.label?.note, rec.label?.by], ['false-alarm', 'noisy neighbour', 'api'], 'the label reached the store');
    if (rec.state === 'open') {
      await page.click('#ack');
      await page.waitForFunction(() => /^acknowledged/.test(document.getElementById('state')?.textContent ?? ''));
      assert.ok((await store.incident(firstId!))!.ack, 'the acknowledgement reached the store');
    }
    await page.screenshot({ path: join(shots, 'incident.png'), fullPage: true });

    await open(page, '#/model');
    assert.match(await page.textContent('main') ?? '', /zscore #1 \(trained: drift\)/);
    assert.match(await page.textContent('#drift') ?? '', /score distribution shifted/);
    await page.screenshot({ path: join(shots, 'model.png'), fullPage: true });

    // the collector fails: every page's health line says so, until data comes again
    assert.equal(await page.$('#collect-failing'), null);
    const newest = await store.newestSample();
    await store.insertEvents([collectFailedEvent(newest + 30_000, newest, 'connect ECONNREFUSED 10.0.0.1:8081')]);
    await open(page, '#/');
    assert.match(await page.textContent('#collect-failing') ?? '', /collector failing since .* \(no data since .*\): scores are not current/);
    assert.equal(await page.getAttribute('#collect-failing', 'title'), 'connect ECONNREFUSED 10.0.0.1:8081');
    await page.screenshot({ path: join(shots, 'collector-failing.png') });
    await store.insertEvents([collectResumedEvent(newest + 90_000, newest, 'failed', false)]);
    await open(page, '#/model');
    assert.equal(await page.$('#collect-failing'), null, 'collecting again');

    // without the token the dashboard gets nothing (and says why)
    const stranger = await browser.newPage();
    await stranger.goto(`${base}/#/`);
    await stranger.waitForFunction(() => document.body.dataset.ready === '#/');
    assert.match(await stranger.textContent('main') ?? '', /missing or wrong API token/);
    assert.deepEqual(errors, [], 'no script errors');
  } finally {
    await browser.close();
    await app.close();
    await store.close();
  }
});
