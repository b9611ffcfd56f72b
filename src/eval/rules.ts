// Threshold rules: the one place that knows their names, their text form and which data they read. The CLI, the
// study and the product parse and print rules through here.
//   mad[:k]        median + k · 1.4826 · MAD of calibration scores (default k = 8)
//   pNN[.N]        the NN-th percentile of calibration scores (p99, p99.5)
//   pot[:risk]     peaks over threshold on calibration scores (default risk 1e-3)
//   paper[:ratio]  the published CCL protocol: the (100 − ratio) percentile of calibration AND TEST scores — it reads
//                  the test data, so it is LEAKY; offered only to reproduce the paper, labelled wherever it appears.
import { madThreshold, percentileThreshold, potThreshold } from './threshold.js';

export type ThresholdRule = { kind: 'percentile'; q: number } | { kind: 'pot'; risk: number } | { kind: 'mad'; k: number } | { kind: 'paper'; ratio: number };

export const DEFAULT_THRESHOLD: ThresholdRule = { kind: 'mad', k: 8 };

export class RuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuleError';
  }
}

const RULES_HELP = 'mad[:k] (median + k·MAD), pNN (percentile, e.g. p99), pot[:risk] or paper[:ratio] (LEAKY reproduction)';

function positive(s: string, raw: string, what: string, max = Infinity): number {
  // a plain decimal only: 'abc', '0x10', '' are errors, never NaN or a surprise value
  const v = /^\d+(\.\d+)?(e-?\d+)?$/i.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isFinite(v) || v <= 0 || v >= max) throw new RuleError(`threshold rule '${s}': ${what} must be a number in (0, ${max}), got '${raw}'`);
  return v;
}

/** 'mad:8' → { kind: 'mad', k: 8 }; an unknown or malformed rule is a RuleError naming the accepted forms. */
export function parseThresholdRule(text: string): ThresholdRule {
  const s = text.trim();
  const p = /^p(.+)$/.exec(s);
  if (p && /^\d/.test(p[1])) return { kind: 'percentile', q: positive(s, p[1], 'the percentile', 100) / 100 };
  const m = /^(mad|pot|paper)(?::(.*))?$/.exec(s);
  if (!m) throw new RuleError(`threshold rule '${s}' is not ${RULES_HELP}`);
  if (m[1] === 'mad') return { kind: 'mad', k: m[2] === undefined ? 8 : positive(s, m[2], 'k') };
  if (m[1] === 'pot') return { kind: 'pot', risk: m[2] === undefined ? 1e-3 : positive(s, m[2], 'the risk', 1) };
  return { kind: 'paper', ratio: m[2] === undefined ? 1 : positive(s, m[2], 'the ratio (%)', 100) };
}

/** A comma-separated list of rules ('mad:8,p99,pot'); duplicates are an error. */
export function parseThresholdRules(text: string): ThresholdRule[] {
  const rules = text.split(',').map((r) => r.trim()).filter(Boolean).map(parseThresholdRule);
  if (rules.length === 0) throw new RuleError(`no threshold rule in '${text}' (${RULES_HELP})`);
  const names = rules.map(formatThresholdRule);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new RuleError(`threshold rule '${dup}' given twice`);
  return rules;
}

/** The canonical text of a rule (what parseThresholdRule reads back): 'mad:8', 'p99', 'pot:0.001', 'paper:10'. */
export function formatThresholdRule(r: ThresholdRule): string {
  switch (r.kind) {
    case 'mad': return `mad:${r.k}`;
    case 'percentile': return `p${+(r.q * 100).toPrecision(10)}`;
    case 'pot': return `pot:${r.risk}`;
    case 'paper': return `paper:${r.ratio}`;
  }
}

/** True when the rule reads test data (the published protocol): its results are a reproduction, never a result. */
export const isLeaky = (r: ThresholdRule): boolean => r.kind === 'paper';

/** 'honest' or 'LEAKY', as every row and provenance record states it. */
export const protocolOf = (r: ThresholdRule): 'honest' | 'LEAKY' => (isLeaky(r) ? 'LEAKY' : 'honest');

/** One line describing a rule for reports. */
export function describeRule(r: ThresholdRule): string {
  switch (r.kind) {
    case 'mad': return `median + ${r.k}·MAD of calibration scores`;
    case 'percentile': return `${+(r.q * 100).toPrecision(10)}th percentile of calibration scores`;
    case 'pot': return `peaks over threshold (risk ${r.risk}) on calibration scores`;
    case 'paper': return `LEAKY: ${100 - r.ratio}th percentile of calibration + test scores (the published CCL protocol, a reproduction only)`;
  }
}

/**
 * The threshold a rule gives. `calibration` are scores of data the detector did not learn from (or its own training
 * scores, when the run says so); only 'paper' also reads `test`.
 */
export function thresholdFrom(calibration: Float32Array, rule: ThresholdRule, test?: Float32Array): number {
  switch (rule.kind) {
    case 'paper': {
      if (!test) throw new RuleError("the 'paper' threshold needs the test scores (it is the leaky published protocol)");
      const both = new Float32Array(calibration.length + test.length);
      both.set(calibration);
      both.set(test, calibration.length);
      return percentileThreshold(both, 1 - rule.ratio / 100);
    }
    case 'percentile': return percentileThreshold(calibration, rule.q);
    case 'mad': return madThreshold(calibration, rule.k);
    case 'pot': return potThreshold(calibration, { risk: rule.risk }).threshold;
  }
}
