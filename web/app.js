// flinkscope dashboard: cluster overview (machines × time heat map of scores, ranking), machine page (uPlot score
// chart with threshold and the machine's metrics, incidents shaded by type), incident list with explanations and acknowledge. Talks only to /api.
'use strict';
const main = document.getElementById('main');
const token = new URLSearchParams(location.search).get('token');
const api = async (path, opts = {}) => {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  const r = await fetch(path, { ...opts, headers });
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || `HTTP ${r.status}`);
  return body;
};
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const iso = (t) => new Date(t).toISOString().replace('.000Z', 'Z');

async function overview() {
  const [ms, heat] = await Promise.all([api('/api/machines'), api('/api/cluster')]);
  main.innerHTML = '<h2>Cluster</h2><canvas class="heat" id="heat"></canvas><table id="rank"></table>';
  const T = Math.max(1, heat.t.length);
  const cv = document.getElementById('heat');
  const cell = Math.max(2, Math.min(8, Math.floor(900 / T)));
  cv.width = T * cell; cv.height = heat.machines.length * 14;
  const g = cv.getContext('2d');
  heat.cells.forEach((row, r) => row.forEach((v, i) => {
    if (v === null) return;
    const x = Math.min(1, v / 2);
    g.fillStyle = `rgb(${Math.round(255 * x)},${Math.round(200 * (1 - x))},60)`;
    g.fillRect(i * cell, r * 14, cell, 13);
  }));
  document.getElementById('rank').innerHTML = '<tr><th>machine</th><th>risk</th><th>last score</th></tr>' + ms.map((m) =>
    `<tr><td><a href="#/machine/${encodeURIComponent(m.machine)}">${esc(m.machine)}</a></td><td class="${m.atRisk ? 'risk' : ''}">${m.risk.toFixed(2)}</td><td>${m.lastScore.toFixed(2)}</td></tr>`).join('');
}

const TYPE_COLOURS = { trend: 'rgba(230,120,0,0.18)', 'sustained-high': 'rgba(210,30,30,0.18)', spike: 'rgba(120,60,200,0.2)', 'level-shift': 'rgba(0,140,140,0.18)', backpressure: 'rgba(40,90,220,0.18)' };

/** uPlot plugin: shades each incident [onset, lastSeen] in its type's colour. */
function shade(incs) {
  return { hooks: { drawClear: [(u) => {
    const { ctx, bbox } = u;
    for (const i of incs) {
      const x0 = u.valToPos(i.onset / 1000, 'x', true);
      const x1 = Math.max(u.valToPos((i.resolvedAt ?? i.lastSeen) / 1000, 'x', true), x0 + 2);
      ctx.fillStyle = TYPE_COLOURS[i.type] || 'rgba(128,128,128,0.2)';
      ctx.fillRect(x0, bbox.top, x1 - x0, bbox.height);
    }
    u.root.dataset.shaded = String(incs.length);
  }] } };
}

async function machine(id) {
  const [s, incs] = await Promise.all([api(`/api/machines/${encodeURIComponent(id)}/scores`), api(`/api/incidents?machine=${encodeURIComponent(id)}&limit=500`)]);
  const mine = incs.items;
  const m = await api(`/api/machines/${encodeURIComponent(id)}/metrics?from=${s.t[0] ?? 0}&to=${s.t[s.t.length - 1] ?? 0}`).catch(() => null);
  main.innerHTML = `<h2>${esc(id)}</h2><p class="legend">${Object.entries(TYPE_COLOURS).map(([k, c]) => `<span style="background:${c}">${esc(k)}</span>`).join(' ')}</p>` +
    '<h3>Anomaly score</h3><div id="chart"></div><h3>Metrics <small>(each scaled to its own range in view)</small></h3><div id="metrics"></div>' +
    `<table id="segments"><tr><th>incident</th><th>type</th><th>onset</th><th>until</th><th>state</th><th>why</th></tr>${mine.map((i) =>
      `<tr><td>${esc(i.id)}</td><td>${esc(i.type)}</td><td>${iso(i.onset)}</td><td>${iso(i.resolvedAt ?? i.lastSeen)}</td><td>${esc(i.state)}</td><td>${i.explanation.slice(0, 3).map((c) => `${esc(c.name)} ${(c.share * 100).toFixed(0)}%`).join(', ')}</td></tr>`).join('')}</table>`;
  const thr = s.t.map(() => s.threshold);
  new uPlot({ width: 900, height: 260, plugins: [shade(mine)], series: [{}, { label: 'score', stroke: '#2a6fdb' }, { label: 'threshold', stroke: '#d33', dash: [4, 4] }] },
    [s.t.map((t) => t / 1000), s.score, thr], document.getElementById('chart'));
  if (!m || m.t.length === 0) {
    document.getElementById('metrics').textContent = 'no stored metrics for this machine';
    return;
  }
  const palette = ['#2a6fdb', '#e08a00', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#1f3d7a', '#a05a00', '#006d6d'];
  const scaled = m.values.map((col) => {
    const f = col.filter((v) => v !== null);
    const lo = Math.min(...f), hi = Math.max(...f);
    return col.map((v) => (v === null ? null : hi > lo ? (v - lo) / (hi - lo) : 0.5));
  });
  new uPlot({ width: 900, height: 320, plugins: [shade(mine)], scales: { y: { range: [0, 1] } },
    series: [{}, ...m.channels.map((c, k) => ({ label: c, stroke: palette[k % palette.length], width: 1 }))] },
  [m.t.map((t) => t / 1000), ...scaled], document.getElementById('metrics'));
}

/** The jobs that moved most (when per-job metrics are collected), else the jobs placed on the machine. */
function jobsCell(i) {
  if (i.movers && i.movers.length) {
    return '<b>moved most:</b> ' + i.movers.slice(0, 3).map((m) => `${esc(m.job)}${m.operator ? ` / ${esc(m.operator)}` : ''} (${esc(m.metric)} ${m.meanZ >= 0 ? '+' : ''}${m.meanZ.toFixed(1)}σ)`).join(', ');
  }
  return (i.jobs || []).map(esc).join(', ');
}

async function incidents() {
  const list = (await api('/api/incidents?limit=500')).items;
  main.innerHTML = '<h2>Incidents</h2><table><tr><th>id</th><th>machine</th><th>type</th><th>onset</th><th>state</th><th>why</th><th>jobs</th><th></th></tr>' + list.map((i) =>
    `<tr><td>${esc(i.id)}</td><td><a href="#/machine/${encodeURIComponent(i.machine)}">${esc(i.machine)}</a></td><td>${esc(i.type)}${i.cause ? ` ← <a href="#/machine/${encodeURIComponent(i.cause.machine)}" title="likely cause: busiest machine downstream in ${esc(i.cause.jobs.join(', '))}">${esc(i.cause.machine)}</a>` : ''}</td><td>${iso(i.onset)}</td><td class="state">${esc(i.state)}</td>` +
    `<td>${i.explanation.slice(0, 3).map((c) => `${esc(c.name)} ${(c.share * 100).toFixed(0)}%`).join(', ')}</td><td>${jobsCell(i)}</td>` +
    `<td>${i.state === 'open' ? `<button data-ack="${esc(i.id)}">acknowledge</button>` : ''}</td></tr>`).join('') + '</table>';
  main.querySelectorAll('button[data-ack]').forEach((b) => b.addEventListener('click', async () => {
    await api(`/api/incidents/${encodeURIComponent(b.dataset.ack)}/ack`, { method: 'POST' });
    incidents();
  }));
}

async function model() {
  const m = await api('/api/model');
  const drift = m.drift ? `<p id="drift">drift check ${iso(m.drift.checkedAt)}: KS ${m.drift.ks.toFixed(3)} vs critical ${m.drift.critical.toFixed(3)} — ` +
    `<b>${m.drift.drifted ? 'score distribution shifted (retraining is due)' : 'no drift'}</b>; median score ${m.drift.trainMedian.toFixed(3)} at training, ${m.drift.recentMedian.toFixed(3)} now</p>` : '<p id="drift">no drift check yet</p>';
  main.innerHTML = `<h2>Model</h2><p>${esc(m.kind)} ${esc(m.version)}${m.reason ? ` (trained: ${esc(m.reason)})` : ''} · threshold ${m.threshold.toFixed(3)} (${esc(m.thresholdRule)})</p>${drift}<div id="curve"></div>`;
  const ep = m.history.map((h) => h.epoch);
  new uPlot({ width: 700, height: 260, series: [{}, { label: 'train loss', stroke: '#2a6fdb' }, { label: 'validation loss', stroke: '#e08a00' }], scales: { x: { time: false } } },
    [ep, m.history.map((h) => h.loss), m.history.map((h) => h.valLoss)], document.getElementById('curve'));
}

async function route() {
  try {
    const h = await api('/api/health');
    document.getElementById('health').textContent = `${h.machines} machines · ${h.atRisk} at risk`;
    const m = location.hash.match(/^#\/machine\/(.+)$/);
    if (m) await machine(decodeURIComponent(m[1]));
    else if (location.hash === '#/incidents') await incidents();
    else if (location.hash === '#/model') await model();
    else await overview();
  } catch (e) {
    main.textContent = `Error: ${e.message}`;
  }
}
window.addEventListener('hashchange', route);
route();
