// flinkscope dashboard (plain JS + uPlot, no build step). Pages: cluster (heat map of the score on the alarm scale per machine
// and time, ranking), machine (score vs the opening level of the model that scored it, one small chart per metric
// with a shared cursor, incidents shaded by type, Flink events as markers), incidents (filters, cursor paging),
// incident (explanation, jobs, movers, cause, events, acknowledge and label), model. Talks only to /api; the token
// (?token=… once) is kept for the tab's session.
'use strict';
const main = document.getElementById('main');

// ---- the API: every call carries the token; writes are JSON (the server refuses anything else)
const token = (() => {
  const u = new URL(location.href);
  const t = u.searchParams.get('token');
  if (t) {
    sessionStorage.setItem('flinkscope-token', t);
    u.searchParams.delete('token');
    history.replaceState(null, '', u.pathname + u.search + u.hash); // keep it out of the address bar and history
  }
  return sessionStorage.getItem('flinkscope-token');
})();
async function api(path, body) {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  const opts = body === undefined ? { headers } : { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const r = await fetch(path, opts);
  const out = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
  if (!r.ok) throw new Error(out.error || `HTTP ${r.status}`);
  return out;
}
const qs = (o) => Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');

// ---- formatting
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const iso = (t) => new Date(t).toISOString().slice(0, 16).replace('T', ' ');
/** Axis labels: 1.2k, 3.4M, 5G (a heap in bytes fits the axis). */
const si = (v) => { const a = Math.abs(v); return a >= 1e9 ? `${+(v / 1e9).toFixed(1)}G` : a >= 1e6 ? `${+(v / 1e6).toFixed(1)}M` : a >= 1e4 ? `${+(v / 1e3).toFixed(1)}k` : `${+v.toFixed(2)}`; };
// the opening level under each point: each model's own from the first point it scored (a retrained model scores on a
// scale of its own), the newest model's threshold where none is known
const levelLine = (s) => s.t.map((t) => {
  const ls = s.levels ?? [];
  let l = ls.length ? ls[0].level : null; // a bucket that begins before the range's first point: the first model's
  for (const x of ls) if (x.from <= t) l = x.level; else break;
  return l ?? s.threshold;
});
const fmt = (v, d = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : Math.abs(v) >= 1000 ? v.toFixed(0) : v.toFixed(d));
const dur = (ms) => (ms < 3_600_000 ? `${Math.round(ms / 60_000)} min` : ms < 172_800_000 ? `${(ms / 3_600_000).toFixed(1)} h` : `${(ms / 86_400_000).toFixed(1)} d`);
const machineLink = (m) => `<a href="#/machine/${encodeURIComponent(m)}">${esc(m)}</a>`;
const incidentLink = (id) => `<a href="#/incident/${encodeURIComponent(id)}">${esc(id)}</a>`;
const TYPES = ['trend', 'sustained-high', 'spike', 'level-shift', 'backpressure'];
const TYPE_COLOURS = { trend: 'rgba(230,120,0,0.22)', 'sustained-high': 'rgba(210,30,30,0.2)', spike: 'rgba(120,60,200,0.22)', 'level-shift': 'rgba(0,140,140,0.22)', backpressure: 'rgba(40,90,220,0.2)' };
const typeTag = (t) => `<span class="tag" style="background:${TYPE_COLOURS[t] || '#eee'}">${esc(t)}</span>`;
const legend = () => `<p class="legend">${TYPES.map(typeTag).join(' ')} <span class="tag event">│ Flink event</span></p>`;
const RANGES = { '6h': 6 * 3_600_000, '24h': 86_400_000, '3d': 3 * 86_400_000, '7d': 7 * 86_400_000 };
function rangePicker(current, href) {
  return `<span class="ranges">${Object.keys(RANGES).map((k) => (k === current ? `<b>${k}</b>` : `<a href="${href(k)}">${k}</a>`)).join(' ')}</span>`;
}

// ---- uPlot pieces
/** Shades each incident [onset, resolved or last seen] in its type's colour; marks events with dashed lines. */
function annotate(incs, events, labels) {
  return { hooks: { drawClear: [(u) => {
    const { ctx, bbox } = u;
    ctx.save();
    for (const i of incs) {
      const x0 = u.valToPos(i.onset / 1000, 'x', true);
      const x1 = Math.max(u.valToPos((i.resolvedAt ?? i.lastSeen) / 1000, 'x', true), x0 + 2);
      ctx.fillStyle = TYPE_COLOURS[i.type] || 'rgba(128,128,128,0.2)';
      ctx.fillRect(x0, bbox.top, x1 - x0, bbox.height);
    }
    ctx.restore();
    u.root.dataset.shaded = String(incs.length);
  }], draw: [(u) => {
    const { ctx, bbox } = u;
    ctx.save();
    ctx.strokeStyle = '#555';
    ctx.setLineDash([3, 3]);
    ctx.fillStyle = '#333';
    ctx.font = `${10 * devicePixelRatio}px system-ui, sans-serif`;
    let n = 0;
    for (const e of events) {
      const x = u.valToPos(e.ts / 1000, 'x', true);
      if (x < bbox.left || x > bbox.left + bbox.width) continue;
      ctx.beginPath();
      ctx.moveTo(x, bbox.top);
      ctx.lineTo(x, bbox.top + bbox.height);
      ctx.stroke();
      if (labels) ctx.fillText(e.kind, x + 3, bbox.top + 11 * devicePixelRatio);
      n++;
    }
    // an incident's updates (it rose again while open, and the operator was told): a solid red tick from the top
    ctx.strokeStyle = '#d33';
    ctx.fillStyle = '#d33';
    ctx.setLineDash([]);
    ctx.lineWidth = 2 * devicePixelRatio;
    let k = 0;
    for (const i of incs) {
      for (const t of i.updates ?? []) {
        const x = u.valToPos(t / 1000, 'x', true);
        if (x < bbox.left || x > bbox.left + bbox.width) continue;
        ctx.beginPath();
        ctx.moveTo(x, bbox.top);
        ctx.lineTo(x, bbox.top + 14 * devicePixelRatio);
        ctx.stroke();
        if (labels) ctx.fillText('update', x + 3, bbox.top + 24 * devicePixelRatio);
        k++;
      }
    }
    ctx.restore();
    u.root.dataset.events = String(n);
    u.root.dataset.updates = String(k);
  }] } };
}
const SYNC = 'flinkscope';
function chart(el, { title, width, height, series, data, incs = [], events = [], labels = false, yRange }) {
  const u = new uPlot({
    title, width, height, plugins: [annotate(incs, events, labels)],
    cursor: { sync: { key: SYNC, setSeries: false }, drag: { x: false, y: false } },
    legend: { show: series.length > 2 },
    scales: yRange ? { y: { range: yRange } } : {},
    axes: [{ size: 30 }, { size: 46, values: (_, v) => v.map(si) }],
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'), // the same clock as every time printed here
    series: [{}, ...series],
  }, data, el);
  return u;
}

// a machine's score against the opening level under each point (levelLine); the levels drawn are in data-levels
function scoreChart(el, s, o) {
  const line = levelLine(s);
  const u = chart(el, { ...o, series: [{ label: 'score', stroke: '#2a6fdb', width: 1.5 }, { label: 'opening level', stroke: '#d33', dash: [6, 4] }], data: [s.t.map((t) => t / 1000), s.score, line] });
  u.root.dataset.levels = [...new Set(line.filter((v) => v !== null))].join(',');
  return u;
}

// ---- cluster page
function heatColour(v) {
  if (v === null) return '#eceff3';
  // the alarm scale: -1 ≈ the median training score, 0 the keep-open level, 1 the opening level; -1 … 2 → 0 … 1
  const x = Math.max(0, Math.min(1, (v + 1) / 3));
  if (x < 0.5) return `rgb(${Math.round(70 + 330 * x)},${Math.round(170 + 40 * x)},${Math.round(90 - 60 * x)})`;
  return `rgb(${Math.round(235 + 20 * (x - 0.5))},${Math.round(190 - 320 * (x - 0.5))},${Math.round(60 - 60 * (x - 0.5))})`;
}
function drawHeat(cv, heat, rows) {
  const LEFT = 110, BOTTOM = 24, ROW = 16;
  const W = Math.max(400, Math.min(1100, main.clientWidth - 20)) - LEFT;
  const T = Math.max(1, heat.t.length);
  const cw = W / T;
  cv.width = (LEFT + W) * devicePixelRatio;
  cv.height = (rows.length * ROW + BOTTOM) * devicePixelRatio;
  cv.style.width = `${LEFT + W}px`;
  cv.style.height = `${rows.length * ROW + BOTTOM}px`;
  const g = cv.getContext('2d');
  g.scale(devicePixelRatio, devicePixelRatio);
  g.font = '11px system-ui, sans-serif';
  g.textBaseline = 'middle';
  rows.forEach((r, k) => {
    g.fillStyle = '#222';
    g.textAlign = 'right';
    g.fillText(heat.machines[r], LEFT - 6, k * ROW + ROW / 2);
    heat.cells[r].forEach((v, i) => {
      g.fillStyle = heatColour(v);
      g.fillRect(LEFT + i * cw, k * ROW + 1, Math.ceil(cw), ROW - 2);
    });
  });
  // time axis: about six ticks
  g.fillStyle = '#444';
  g.textAlign = 'center';
  const y = rows.length * ROW + 12;
  const step = Math.max(1, Math.round(T / 6));
  for (let i = 0; i < T - step / 2; i += step) {
    g.fillRect(LEFT + i * cw, rows.length * ROW, 1, 4);
    g.fillText(iso(heat.t[i]).slice(5), LEFT + i * cw, y);
  }
  cv.onclick = (ev) => {
    const k = Math.floor((ev.offsetY) / ROW);
    if (k >= 0 && k < rows.length) location.hash = `#/machine/${encodeURIComponent(heat.machines[rows[k]])}`;
  };
}
async function clusterPage(params) {
  const range = RANGES[params.get('range')] ? params.get('range') : '6h';
  const h = await api('/api/health');
  const to = h.newest ?? Date.now();
  const [ms, heat] = await Promise.all([api('/api/machines?limit=200'), api(`/api/cluster?${qs({ from: to - RANGES[range], to, buckets: 160, limit: 60 })}`)]);
  const filter = params.get('q') || '';
  const atRisk = params.get('risk') === '1';
  const keep = (m) => (!filter || m.includes(filter)) && (!atRisk || ms.find((x) => x.machine === m)?.atRisk);
  const rows = heat.machines.map((_, r) => r).filter((r) => keep(heat.machines[r]));
  const href = (o) => `#/?${qs({ range, q: filter, risk: atRisk ? '1' : '', ...o })}`;
  main.innerHTML = `<h2>Cluster <small>${heat.machines.length} riskiest machines · highest level held on the alarm scale per ${dur(heat.bucketMs)} · ${rangePicker(range, (k) => href({ range: k }))}</small></h2>
    <form id="filters" class="filters"><input name="q" placeholder="machine contains…" value="${esc(filter)}"> <label><input type="checkbox" name="risk" ${atRisk ? 'checked' : ''}> at risk only</label> <button>filter</button></form>
    <div class="heatwrap"><canvas class="heat" id="heat"></canvas></div>
    <p class="scale"><span style="background:${heatColour(-1)}"></span>≤ −1 ≈ typical <span style="background:${heatColour(0)}"></span>0 = keep-open level <span style="background:${heatColour(1)}"></span>1 = opening level <span style="background:${heatColour(1.5)}"></span>1.5 <span style="background:${heatColour(2)}"></span>≥ 2 <span style="background:${heatColour(null)}"></span>not scored · click a row for the machine</p>
    <h3>Ranking: risk now</h3>
    <table id="rank"><tr><th>machine</th><th>risk</th><th>last score</th><th>open incidents</th><th>last scored</th></tr>${ms.filter((m) => keep(m.machine)).map((m) =>
    `<tr><td>${machineLink(m.machine)}</td><td class="${m.atRisk ? 'risk' : ''}">${fmt(m.risk)}</td><td>${fmt(m.lastScore)}</td><td>${m.openIncidents ? `<a href="#/incidents?${qs({ machine: m.machine, state: 'active' })}">${m.openIncidents}</a>` : 0}</td><td>${iso(m.lastTs)}</td></tr>`).join('')}</table>`;
  document.getElementById('filters').addEventListener('submit', (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    location.hash = href({ q: f.get('q'), risk: f.get('risk') ? '1' : '' });
  });
  drawHeat(document.getElementById('heat'), heat, rows);
}

// ---- machine page
async function machinePage(id, params) {
  const range = RANGES[params.get('range')] ? params.get('range') : '24h';
  const [st] = await api(`/api/machines?${qs({ machine: id })}`);
  const to = st ? st.lastTs : undefined;
  const from = to !== undefined ? to - RANGES[range] : undefined;
  const width = Math.max(600, Math.min(1100, main.clientWidth - 20));
  const small = Math.floor((width - 24) / 3);
  const [s, m, incs, events] = await Promise.all([
    api(`/api/machines/${encodeURIComponent(id)}/scores?${qs({ from, to, points: width })}`),
    api(`/api/machines/${encodeURIComponent(id)}/metrics?${qs({ from, to, points: small })}`),
    api(`/api/incidents?${qs({ machine: id, limit: 500, from: from !== undefined ? from - 7 * 86_400_000 : undefined })}`),
    from !== undefined ? api(`/api/events?${qs({ from, to, machine: id })}`) : [],
  ]);
  const mine = incs.items.filter((i) => from === undefined || (i.resolvedAt ?? i.lastSeen) >= from);
  main.innerHTML = `<h2>${esc(id)} <small>${st ? `risk ${fmt(st.risk)} · last score ${fmt(st.lastScore)} · ` : ''}${rangePicker(range, (k) => `#/machine/${encodeURIComponent(id)}?range=${k}`)}</small></h2>${legend()}
    <div id="score"></div><h3>Metrics <small>(mean per ${dur(m.bucketMs || 1)}; the cursor is shared)</small></h3><div id="metrics" class="grid"></div>
    <h3>Incidents</h3><table id="segments"><tr><th>incident</th><th>type</th><th>onset</th><th>until</th><th>state</th><th>label</th><th>why</th></tr>${mine.map((i) =>
    `<tr><td>${incidentLink(i.id)}</td><td>${typeTag(i.type)}${afterEffect(i)}</td><td>${iso(i.onset)}</td><td>${iso(i.resolvedAt ?? i.lastSeen)}</td><td>${esc(i.state)}</td><td>${i.label ? esc(i.label.value) : ''}</td><td>${why(i)}</td></tr>`).join('') || '<tr><td colspan="7" class="muted">none in this range</td></tr>'}</table>
    <h3>Flink events</h3>${eventsTable(events, mine)}`;
  scoreChart(document.getElementById('score'), s, { title: 'Anomaly score (max per bucket) and the opening level', width, height: 230, incs: mine, events, labels: true });
  const grid = document.getElementById('metrics');
  if (m.t.length === 0) grid.textContent = 'no stored metrics for this machine in this range';
  m.channels.forEach((c, k) => {
    const el = document.createElement('div');
    el.className = 'small';
    grid.appendChild(el);
    chart(el, { title: c, width: small, height: 150, incs: mine, events, series: [{ label: c, stroke: '#2a6fdb', width: 1 }], data: [m.t.map((t) => t / 1000), m.values[k]] });
  });
}
const why = (i) => i.explanation.slice(0, 3).map((c) => `${esc(c.name)} ${(c.share * 100).toFixed(0)}%`).join(', ');
/** An incident held by an event's grace period that has not paged: the event's expected after-effect. */
const afterEffect = (i) => (i.afterEffectOf ? ` <span class="muted after-effect">after-effect of ${esc(i.afterEffectOf)}</span>` : '');
/** Flink events; with incidents, each event lists the incidents recorded as its after-effects. */
function eventsTable(events, incs = []) {
  if (!events.length) return '<p class="muted" id="events">no Flink events in this range</p>';
  const effects = (e) => incs.filter((i) => i.afterEffectOf === e.id).map((i) => incidentLink(i.id)).join(', ');
  return `<table id="events"><tr><th>time</th><th>kind</th><th>job</th><th>machines</th><th>what</th><th>after-effects</th></tr>${events.map((e) =>
    `<tr><td>${iso(e.ts)}</td><td>${esc(e.kind)}</td><td>${esc(e.job ?? '')}</td><td>${e.machines.length ? e.machines.map(machineLink).join(', ') : 'cluster'}</td><td>${esc(e.detail)}</td><td>${effects(e)}</td></tr>`).join('')}</table>`;
}

// ---- incidents page
const cursors = []; // the cursors of the pages before this one
async function incidentsPage(params) {
  const f = { state: params.get('state') ?? 'active', type: params.get('type') || '', machine: params.get('machine') || '', job: params.get('job') || '', label: params.get('label') || '' };
  const cursor = params.get('cursor') || '';
  const limit = params.get('limit') || '';
  const page = await api(`/api/incidents?${qs({ ...f, state: f.state === 'all' ? '' : f.state, limit: limit || 50, cursor })}`);
  const opt = (name, values) => `<select name="${name}">${values.map(([v, t]) => `<option value="${esc(v)}" ${f[name] === v ? 'selected' : ''}>${esc(t)}</option>`).join('')}</select>`;
  main.innerHTML = `<h2>Incidents</h2><form id="filters" class="filters">
    ${opt('state', [['active', 'open or acknowledged'], ['open', 'open'], ['acknowledged', 'acknowledged'], ['resolved', 'resolved'], ['all', 'all']])}
    ${opt('type', [['', 'any type'], ...TYPES.map((t) => [t, t])])}
    <input name="machine" placeholder="machine" value="${esc(f.machine)}"> <input name="job" placeholder="job" value="${esc(f.job)}">
    ${opt('label', [['', 'any label'], ['none', 'not labelled'], ['hotspot', 'hotspot'], ['false-alarm', 'false alarm'], ['expected', 'expected']])}
    <button>filter</button></form>
    <table id="incidents"><tr><th>id</th><th>machine</th><th>type</th><th>onset</th><th>duration</th><th>state</th><th>label</th><th>why</th><th>jobs</th><th></th></tr>${page.items.map((i) =>
    `<tr><td>${incidentLink(i.id)}</td><td>${machineLink(i.machine)}</td><td>${typeTag(i.type)}${i.cause ? ` ← ${machineLink(i.cause.machine)}` : ''}${i.symptomOf ? ` <span class="muted">symptom of ${incidentLink(i.symptomOf)}</span>` : ''}${afterEffect(i)}</td><td>${iso(i.onset)}</td><td>${dur((i.resolvedAt ?? i.lastSeen) - i.onset)}</td>` +
    `<td class="state">${esc(i.state)}</td><td>${i.label ? esc(i.label.value) : ''}</td><td>${why(i)}</td><td>${jobsCell(i)}</td><td>${i.state === 'open' ? `<button data-ack="${esc(i.id)}">acknowledge</button>` : ''}</td></tr>`).join('') ||
    `<tr><td colspan="10" class="muted">no incidents match${f.state !== 'all' ? ` — <a href="#/incidents?${qs({ ...f, state: 'all' })}">show all states</a>` : ''}</td></tr>`}</table>
    <p class="pager">${cursor ? '<button id="prev">← newer</button>' : ''} ${page.next ? '<button id="next">older →</button>' : ''}</p>`;
  const go = (o) => { location.hash = `#/incidents?${qs({ ...f, limit, ...o })}`; };
  document.getElementById('filters').addEventListener('submit', (e) => {
    e.preventDefault();
    cursors.length = 0;
    go(Object.fromEntries(new FormData(e.target)));
  });
  document.getElementById('next')?.addEventListener('click', () => { cursors.push(cursor); go({ cursor: page.next }); });
  document.getElementById('prev')?.addEventListener('click', () => go({ cursor: cursors.pop() || '' }));
  main.querySelectorAll('button[data-ack]').forEach((b) => b.addEventListener('click', async () => {
    b.disabled = true;
    await api(`/api/incidents/${encodeURIComponent(b.dataset.ack)}/ack`, {});
    await route();
  }));
}
/** The jobs that moved most (when per-job metrics are collected), else the jobs placed on the machine. */
function jobsCell(i) {
  if (i.movers && i.movers.length) {
    return '<b>moved most:</b> ' + i.movers.slice(0, 3).map((m) => `${esc(m.job)}${m.operator ? ` / ${esc(m.operator)}` : ''} (${esc(m.metric)} ${m.meanZ >= 0 ? '+' : ''}${m.meanZ.toFixed(1)}σ)`).join(', ');
  }
  return (i.jobs || []).map(esc).join(', ');
}

// ---- incident page
async function incidentPage(id) {
  const i = await api(`/api/incidents/${encodeURIComponent(id)}`);
  const end = i.resolvedAt ?? i.lastSeen;
  const pad = Math.max(3_600_000, (end - i.onset) * 2);
  const width = Math.max(600, Math.min(1100, main.clientWidth - 20));
  const [s, events] = await Promise.all([
    api(`/api/machines/${encodeURIComponent(i.machine)}/scores?${qs({ from: i.onset - pad, to: end + pad, points: width })}`),
    api(`/api/events?${qs({ from: i.onset - pad, to: end + pad, machine: i.machine })}`),
  ]);
  const maxShare = Math.max(...i.explanation.map((c) => c.share), 1e-9);
  main.innerHTML = `<h2>Incident ${esc(i.id)} <small>${typeTag(i.type)} on ${machineLink(i.machine)}</small></h2>
    <table class="facts"><tr><th>state</th><td id="state">${esc(i.state)}${i.ack ? ` (by ${esc(i.ack.by)} at ${iso(i.ack.at)})` : ''}</td><th>onset</th><td>${iso(i.onset)}</td><th>${i.resolvedAt ? 'resolved' : 'last seen'}</th><td>${iso(end)}</td></tr>
    <tr><th>peak</th><td id="peak">${typeof i.peakUnits === 'number' ? `${fmt(i.peakUnits)} on the alarm scale (0 = keep-open level, 1 = opening level; raw score ${fmt(i.peak)})` : `score ${fmt(i.peak)} (threshold ${fmt(s.threshold)})`}</td><th>segments</th><td>${i.segments}</td><th>paged</th><td id="paged">${i.paged ? (typeof i.pagedAt === 'number' ? `yes, at ${iso(i.pagedAt)}` : 'yes') + (i.updates?.length ? `; rose again while open — updates sent at ${i.updates.map((u) => { const r = (i.renewals ?? []).find((x) => x.at === u); return iso(u) + (r?.lead ? ` (now led by ${esc(r.lead)}${r.leadBefore ? `, before: ${esc(r.leadBefore)}` : ''})` : ''); }).join(', ')}` : '') : i.symptomOf ? `no — a symptom of ${incidentLink(i.symptomOf)}` : i.afterEffectOf ? `no — an after-effect of the event ${esc(i.afterEffectOf)} (held by its grace period; pages only if it meets the opening rule again after it)` : 'held (event grace period)'}</td></tr>
    <tr><th>label</th><td id="label" colspan="5">${i.label ? `<b>${esc(i.label.value)}</b> by ${esc(i.label.by)} at ${iso(i.label.at)}${i.label.note ? ` — ${esc(i.label.note)}` : ''}` : '<span class="muted">not labelled</span>'}</td></tr></table>
    <p class="actions">${i.state === 'open' ? '<button id="ack">acknowledge</button>' : ''} label as: <button data-label="hotspot">hotspot</button> <button data-label="false-alarm">false alarm</button> <button data-label="expected">expected</button> <input id="note" placeholder="note (optional)" maxlength="500"></p>
    <div id="score"></div>
    <div class="cols"><div><h3>Why: each metric's share of the deviation</h3><div id="explanation">${i.explanation.map((c) =>
      `<div class="bar"><span class="name">${esc(c.name)}</span><span class="fill" style="width:${(c.share / maxShare) * 60}%"></span><span class="val">${(c.share * 100).toFixed(0)}% · ${c.meanZ >= 0 ? '+' : ''}${c.meanZ.toFixed(1)}σ</span></div>`).join('') || '<p class="muted">no explanation recorded</p>'}</div></div>
    <div><h3>Jobs on the machine</h3><p>${i.jobs.map(esc).join(', ') || '<span class="muted">placement unknown</span>'}</p>
    <h3>Jobs / operators that moved most</h3>${i.movers.length ? `<table id="movers"><tr><th>job</th><th>operator</th><th>metric</th><th>deviation</th></tr>${i.movers.map((m) =>
      `<tr><td>${esc(m.job)}</td><td>${esc(m.operator)}</td><td>${esc(m.metric)}</td><td>${m.meanZ >= 0 ? '+' : ''}${m.meanZ.toFixed(1)}σ</td></tr>`).join('')}</table>` : '<p class="muted">no per-job metrics collected</p>'}
    ${i.cause ? `<h3>Likely cause</h3><p id="cause">${causeHtml(i.cause)}</p>` : ''}</div></div>
    <h3>Flink events around it</h3>${eventsTable(events, [i])}
    <h3>Evidence from Flink</h3><div id="evidence" class="muted">loading…</div>`;
  api(`/api/incidents/${encodeURIComponent(i.id)}/evidence`).then((e) => { document.getElementById('evidence').outerHTML = evidenceHtml(e.items); }, () => {});
  scoreChart(document.getElementById('score'), s, { title: `Score of ${i.machine} around the incident`, width, height: 220, incs: [i], events, labels: true });
  document.getElementById('ack')?.addEventListener('click', async () => {
    await api(`/api/incidents/${encodeURIComponent(i.id)}/ack`, {});
    await route();
  });
  main.querySelectorAll('button[data-label]').forEach((b) => b.addEventListener('click', async () => {
    const note = document.getElementById('note').value;
    await api(`/api/incidents/${encodeURIComponent(i.id)}/label`, note ? { label: b.dataset.label, note } : { label: b.dataset.label });
    await route();
  }));
}

/** The cause: on the job graph the operator, its hot subtasks and their TaskManagers; else the busy machine. */
function causeHtml(c) {
  const g = c.graph;
  if (!g) return `${machineLink(c.machine)} downstream in ${c.jobs.map(esc).join(', ')}: busy ${fmt(c.busy, 0)} ms/s${c.anomalous ? ', with an incident of its own' : ''}`;
  const subs = g.subtasks.map((s) => `#${s.index} on ${machineLink(s.machine)} (busy ${Math.round(s.busy * 100)} %)`).join(', ');
  const via = g.walk === 'downstream' && g.path.length > 1 ? ` — back-pressure traced from ${g.path.slice(0, -1).map(esc).join(' → ')}` : ' — the machine\'s own busiest subtask';
  return `<b>${esc(g.vertex)}</b> in ${esc(g.job)}: subtask ${subs}${via}${c.anomalous ? '; that TaskManager has an incident of its own' : ''}`;
}

/** Flame graph: the frames with the most samples of their own; thread dump: the hot subtask's threads first. */
function evidenceHtml(items) {
  if (!items.length) return '<p id="evidence" class="muted">none captured (watch --flink captures a flame graph and a thread dump at the onset)</p>';
  const when = (e) => `captured ${e.latencyMs === null ? iso(e.capturedAt) : `${dur(e.latencyMs)} after the onset`}${e.truncated ? ', cut to size' : ''}`;
  const part = (e) => {
    if (e.error) return `<p><b>${esc(e.kind)}</b>: <span class="muted">${esc(e.error)}</span></p>`;
    if (e.kind === 'flamegraph') {
      const self = new Map();
      const walk = (n) => { const kids = n.children ?? []; self.set(n.name, (self.get(n.name) ?? 0) + n.value - kids.reduce((a, k) => a + k.value, 0)); kids.forEach(walk); };
      walk(e.body.root);
      const top = [...self].filter(([n]) => n !== 'root').sort((a, b) => b[1] - a[1]).slice(0, 10);
      return `<p><b>flame graph</b> of ${esc(e.target.vertex)} #${esc(e.target.subtask)} on ${machineLink(e.target.taskmanager)} (${when(e)}): frames with the most samples of their own</p>
        <table class="flame">${top.map(([n, v]) => `<tr><td>${(100 * v / e.body.root.value).toFixed(0)} %</td><td><code>${esc(n)}</code></td></tr>`).join('')}</table>`;
    }
    return `<details><summary><b>thread dump</b> of ${machineLink(e.target.taskmanager)} (${when(e)}; ${e.body.threads.length} threads${e.body.omitted ? `, ${e.body.omitted} left out` : ''})</summary>${e.body.threads.map((t) => `<pre>${esc(t.stringifiedThreadInfo)}</pre>`).join('')}</details>`;
  };
  return `<div id="evidence">${items.map(part).join('')}</div>`;
}

// ---- model page
async function modelPage() {
  const m = await api('/api/model');
  const drift = m.drift ? `<p id="drift">drift check ${iso(m.drift.checkedAt)}: KS ${m.drift.ks.toFixed(3)} vs critical ${m.drift.critical.toFixed(3)} — ` +
    `<b>${m.drift.drifted ? 'score distribution shifted (retraining is due)' : 'no drift'}</b>; median score ${fmt(m.drift.trainMedian, 3)} at training, ${fmt(m.drift.recentMedian, 3)} now</p>` : '<p id="drift">no drift check yet</p>';
  main.innerHTML = `<h2>Model</h2><p>${esc(m.kind)} ${esc(m.version)}${m.reason ? ` (trained: ${esc(m.reason)})` : ''} · trained ${iso(m.createdAt)} · threshold ${fmt(m.threshold, 3)} (${esc(m.thresholdRule)})</p>${drift}
    <div id="curve"></div><h3>Provenance</h3><pre>${esc(JSON.stringify(m.provenance, null, 2))}</pre>`;
  if (m.history.length) {
    new uPlot({ title: 'Training curve', width: 700, height: 240, series: [{}, { label: 'train loss', stroke: '#2a6fdb' }, { label: 'validation loss', stroke: '#e08a00' }], scales: { x: { time: false } } },
      [m.history.map((h) => h.epoch), m.history.map((h) => h.loss), m.history.map((h) => h.valLoss)], document.getElementById('curve'));
  } else document.getElementById('curve').innerHTML = '<p class="muted">no training curve (not a deep detector)</p>';
}

// ---- routing
async function route() {
  const [path, query] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query || '');
  const page = path.split('/')[1] || '';
  document.querySelectorAll('nav a').forEach((a) => a.classList.toggle('on', a.dataset.nav === ({ '': 'cluster', machine: 'cluster', incident: 'incidents' }[page] ?? page)));
  try {
    const h = await api('/api/health');
    const cf = h.collectFailing;
    const failing = cf ? ` · <b class="risk" id="collect-failing" title="${esc(cf.error)}">collector failing since ${iso(cf.at)}${cf.since !== null ? ` (no data since ${iso(cf.since)})` : ''}: scores are not current</b>` : '';
    document.getElementById('health').innerHTML = `${h.machines} machines · <b class="${h.atRisk ? 'risk' : ''}">${h.atRisk} at risk</b> · <a href="#/incidents?state=active">${h.openIncidents} open incidents</a>${h.newest ? ` · scored to ${iso(h.newest)}` : ''}${failing}`;
    const rest = decodeURIComponent(path.split('/').slice(2).join('/'));
    if (page === 'machine') await machinePage(rest, params);
    else if (page === 'incidents') await incidentsPage(params);
    else if (page === 'incident') await incidentPage(rest);
    else if (page === 'model') await modelPage();
    else await clusterPage(params);
  } catch (e) {
    main.innerHTML = `<p class="error">Error: ${esc(e.message)}</p>`;
  }
  document.body.dataset.ready = location.hash; // for tests and scripts: the page for this address is drawn
}
window.addEventListener('hashchange', route);
route();
