import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { renderHtml, renderMarkdown, sparkline, type ReportInput } from '../../../src/inspect/report.js';
import { rankMachines, healthSummary } from '../../../src/inspect/ranking.js';

const ranked = rankMachines([{ machine: 'tm-<1>', scores: [3, 4] }, { machine: 'tm-2', scores: [0.1] }], 1);
const input: ReportInput = {
  generatedAt: Date.UTC(2026, 0, 1),
  health: healthSummary(ranked),
  ranked,
  threshold: 1,
  scores: { 'tm-<1>': [0.2, 3, 4] },
  incidents: [
    { id: 'inc-1', machine: 'tm-<1>', state: 'open', type: 'trend', onset: Date.UTC(2026, 0, 1), lastSeen: Date.UTC(2026, 0, 1) + 1_800_000, peak: 4, segments: 1,
      explanation: [{ name: 'cpu', share: 0.9, meanZ: 5 }] },
    { id: 'inc-2', machine: 'tm-2', state: 'resolved', type: 'spike', onset: 0, lastSeen: 1, peak: 2, segments: 1 },
  ],
};

describe('inspection report', () => {
  test('markdown lists at-risk machines and open incidents only', () => {
    const md = renderMarkdown(input);
    assert.match(md, /At-risk machines \(1\)/);
    assert.match(md, /\| inc-1 \| tm-<1> \| trend \| 2026-01-01T00:00:00Z \| 30 min \| open \| cpu 90% ↑ \|/);
    assert.doesNotMatch(md, /inc-2/);
    // an incident that rose again while open says so
    const renewed = renderMarkdown({ ...input, incidents: [{ ...input.incidents[0], updates: [Date.UTC(2026, 0, 1, 0, 20), Date.UTC(2026, 0, 1, 0, 50)] }] });
    assert.match(renewed, /\| 30 min \| open, rose again 2× \(last 2026-01-01T00:50:00Z\) \|/);
    assert.match(renderHtml({ ...input, incidents: [{ ...input.incidents[0], updates: [Date.UTC(2026, 0, 1, 0, 20)] }] }), /<td>open, rose again 1× \(last 2026-01-01T00:20:00Z\)<\/td>/);
  });
  test('html is self-contained, escaped, with an inline SVG plot', () => {
    const html = renderHtml(input);
    assert.match(html, /<svg /);
    assert.match(html, /tm-&#60;1&#62;/);
    assert.doesNotMatch(html, /<script|src="http/);
  });
  test('sparkline draws one point per score', () => {
    const pts = /points="([^"]*)"/.exec(sparkline([1, 2, NaN, 3], 2))![1];
    assert.equal(pts.split(' ').length, 4);
  });
});

describe('report: jobs that moved most', () => {
  test('names them after the metric shares when per-job metrics were collected', () => {
    const md = renderMarkdown({
      generatedAt: 1.7e12, health: { machines: 1, atRisk: 1, p50: 1, p90: 2, max: 3 } as never, ranked: [], threshold: 1, scores: {},
      incidents: [{ id: 'inc-1', machine: 'tm-1', type: 'trend', state: 'open', onset: 1.7e12, lastSeen: 1.7e12 + 60_000, peak: 3, segments: 1, explanation: [{ name: 'latency_ms', share: 1, meanZ: 5 }], movers: [{ job: 'orders', operator: 'enrich', metric: 'latency_ms', meanZ: 7.25 }] }],
    });
    assert.match(md, /latency_ms 100% ↑; jobs moved most: orders\/enrich \(latency_ms \+7\.3σ\)/);
  });
});
