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
