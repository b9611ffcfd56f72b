// Prometheus' query_range answer read straight into flat columns. A 10 000-machine cluster answers every metric's
// query with ~650 KB of JSON; JSON.parse builds five objects per value ({metric, values}, the pair, the value string…)
// and the shape check then walks them all. This reader scans the text Prometheus writes — compact JSON, status first,
// then data.resultType and data.result, each series {"metric":{…},"values":[[t,"v"],…]} — and keeps only label
// objects (one per series) and numbers. Anything else (whitespace, other key order, warnings, an unusual value) makes
// it hand the text to JSON.parse and the shape check instead, so what it accepts and what it rejects is exactly what
// the general path would; only the cost differs.
import { parseMetricValue } from '../core/value.js';
import { AnswerError, list, num, obj, optional, shape, str } from './http.js';

/** A query_range answer: status, error, and its series as index ranges into flat time and value columns. */
export interface MatrixAnswer {
  status: string;
  error?: string;
  /** Whether the answer has its data part (a success without one is not an answer). */
  hasData: boolean;
  /** Each series' labels and its values' range [from, to) in `times` / `values`. */
  series: { metric: Record<string, string>; from: number; to: number }[];
  /** Evaluation times, seconds since the epoch. */
  times: number[];
  /** Values as parseMetricValue reads them; NaN where it gives a gap ("NaN", "+Inf", not a number). */
  values: number[];
}

const RANGE = shape(obj({
  status: str,
  error: optional(str),
  data: optional(obj({ result: list(obj({ metric: obj({}), values: list((x, at) => (Array.isArray(x) && x.length === 2 ? num(x[0], () => `${at()}[0]`) : `${at()} is not a [time, value] pair`)) })) })),
}));

/**
 * The label sets of one query's last answer, by series position. A query polled every scrape answers with the same
 * series in the same order; where series j's label text is the one seen at j last time, the scanner compares the text
 * and hands back the same label object — no strings cut, no object built (10 000 series a query, 38 queries a scrape).
 * The objects are shared between answers: read them, never change them.
 */
export class LabelCache {
  texts: string[] = [];
  metrics: Record<string, string>[] = [];
}

/** Reads a query_range answer; throws AnswerError ("malformed JSON: …", "unexpected answer: …") when the text is
 *  not JSON or not of the answer's shape. `labels`: the query's label cache (see LabelCache). */
export function readMatrix(text: string, labels?: LabelCache): MatrixAnswer {
  return scanMatrix(text, labels) ?? general(text);
}

/** The fast path alone: the answer when the text has exactly the layout Prometheus writes, else null. */
export function scanMatrix(text: string, labels?: LabelCache): MatrixAnswer | null {
  return new Scanner(text, labels).answer();
}

/** The general path: JSON.parse, the shape check, then the same columns. */
function general(text: string): MatrixAnswer {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new AnswerError(`malformed JSON: ${text.slice(0, 80).replace(/\s+/g, ' ').trim()}`);
  }
  const wrong = RANGE(body);
  if (wrong) throw new AnswerError(`unexpected answer: ${wrong}`);
  const b = body as { status: string; error?: string; data?: { result: { metric: Record<string, unknown>; values: [number, unknown][] }[] } };
  const out: MatrixAnswer = { status: b.status, error: b.error, hasData: b.data !== undefined, series: [], times: [], values: [] };
  for (const s of b.data?.result ?? []) {
    const metric: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.metric)) if (typeof v === 'string') metric[k] = v;
    const from = out.times.length;
    for (const [t, v] of s.values) {
      out.times.push(t);
      out.values.push(parseMetricValue(v) ?? NaN);
    }
    out.series.push({ metric, from, to: out.times.length });
  }
  if (b.error === undefined) delete out.error;
  return out;
}

const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const LBRACKET = 91;
const RBRACKET = 93;
const RBRACE = 125;
const LBRACE = 123;
/** 10^0 … 10^22: every one an exact double. */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
/** Whether a string holds a control character (JSON does not allow one raw in a string). */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) < 0x20) return true;
  return false;
}

/** The fast path: a cursor over the exact layout Prometheus writes; null (never an error) on anything else. */
class Scanner {
  private i = 0;
  /** No escape anywhere: every string is the text between two quotes (then checked for control characters: each
   *  label; a value only when it reads as a gap — one that reads as a number has none). */
  private readonly plain: boolean;
  constructor(private readonly s: string, private readonly labels?: LabelCache) {
    this.plain = !s.includes('\\');
  }

  answer(): MatrixAnswer | null {
    if (!this.lit('{"status":')) return null;
    const status = this.str();
    if (status === null) return null;
    const out: MatrixAnswer = { status, hasData: true, series: [], times: [], values: [] };
    if (!this.lit(',"data":{"resultType":"matrix","result":[')) return null;
    if (!this.lit(']')) {
      for (;;) {
        if (!this.series(out)) return null;
        if (this.ch(RBRACKET)) break;
        if (!this.ch(COMMA)) return null;
      }
    }
    return this.lit('}}') && this.i === this.s.length ? out : null;
  }

  /** {"metric":{"k":"v",…},"values":[[t,"v"],…]} */
  private series(out: MatrixAnswer): boolean {
    if (!this.lit('{"metric":')) return false;
    const j = out.series.length;
    const seen = this.labels?.texts[j];
    let metric: Record<string, string>;
    if (seen !== undefined && this.lit(seen)) metric = this.labels!.metrics[j];
    else {
      const a = this.i;
      const m = this.labelSet();
      if (m === null) return false;
      metric = m;
      if (this.labels) {
        this.labels.texts[j] = this.s.slice(a, this.i);
        this.labels.metrics[j] = metric;
      }
    }
    if (!this.lit(',"values":[')) return false;
    const from = out.times.length;
    if (!this.ch(RBRACKET)) {
      for (;;) {
        if (!this.ch(LBRACKET)) return false;
        const t = this.num();
        if (t === null || !this.ch(COMMA)) return false;
        const x = this.value();
        if (x === null || !this.ch(RBRACKET)) return false;
        out.times.push(t);
        out.values.push(x);
        if (this.ch(RBRACKET)) break;
        if (!this.ch(COMMA)) return false;
      }
    }
    out.series.push({ metric, from, to: out.times.length });
    return this.ch(RBRACE);
  }

  /** {"k":"v",…} at the cursor, or null. */
  private labelSet(): Record<string, string> | null {
    if (!this.ch(LBRACE)) return null;
    const metric: Record<string, string> = {};
    if (this.ch(RBRACE)) return metric;
    for (;;) {
      const k = this.str();
      if (k === null || !this.ch(COLON)) return null;
      const v = this.str();
      if (v === null) return null;
      metric[k] = v;
      if (this.ch(RBRACE)) return metric;
      if (!this.ch(COMMA)) return null;
    }
  }

  /** A value string at the cursor as parseMetricValue reads it (NaN for a gap); null when it is not a JSON string
   *  (or holds a control character). The usual value — "-12.345", "1.5e+06", at most 15 digits, exponent within
   *  ±22 — is read straight from the text: m · 10^e with m and 10^|e| exact doubles is one correctly rounded
   *  multiplication or division, the double Number() gives. Any other value goes through parseMetricValue. */
  private value(): number | null {
    const s = this.s;
    const a = this.i + 1;
    if (s.charCodeAt(this.i) === QUOTE) {
      let j = a;
      const neg = s.charCodeAt(j) === 45;
      if (neg) j++;
      let m = 0;
      let digits = 0;
      let frac = 0;
      let c = s.charCodeAt(j);
      for (; c >= 48 && c <= 57; c = s.charCodeAt(++j), digits++) m = m * 10 + (c - 48);
      const intDigits = digits;
      if (c === 46) {
        for (c = s.charCodeAt(++j); c >= 48 && c <= 57; c = s.charCodeAt(++j), digits++, frac++) m = m * 10 + (c - 48);
        if (frac === 0) digits = 0; // "5." is read by parseMetricValue
      }
      let e = 0;
      let ok = intDigits > 0 && digits > 0 && digits <= 15;
      if (ok && (c === 101 || c === 69)) {
        c = s.charCodeAt(++j);
        const eneg = c === 45;
        if (eneg || c === 43) c = s.charCodeAt(++j);
        let ed = 0;
        for (; c >= 48 && c <= 57 && ed < 4; c = s.charCodeAt(++j), ed++) e = e * 10 + (c - 48);
        ok = ed > 0 && ed < 4;
        if (eneg) e = -e;
      }
      e -= frac;
      if (ok && c === QUOTE && e >= -22 && e <= 22) {
        this.i = j + 1;
        const v = e < 0 ? m / POW10[-e] : m * POW10[e];
        return neg ? -v : v;
      }
    }
    const v = this.str(false);
    if (v === null) return null;
    const x = parseMetricValue(v);
    if (x === null && hasControl(v)) return null;
    return x ?? NaN;
  }

  /** The character `c` at the cursor (consumed), or false. */
  private ch(c: number): boolean {
    if (this.s.charCodeAt(this.i) !== c) return false;
    this.i++;
    return true;
  }

  /** The literal `l` at the cursor (consumed), or false. */
  private lit(l: string): boolean {
    if (!this.s.startsWith(l, this.i)) return false;
    this.i += l.length;
    return true;
  }

  /** A JSON string at the cursor; escapes are decoded by JSON.parse (rare in labels); control characters → null
   *  (unless `checked` is false: the caller checks what it keeps). */
  private str(checked = true): string | null {
    const s = this.s;
    if (s.charCodeAt(this.i) !== QUOTE) return null;
    const a = this.i + 1;
    if (this.plain) {
      const j = s.indexOf('"', a);
      if (j < 0) return null;
      const v = s.slice(a, j);
      if (checked && hasControl(v)) return null;
      this.i = j + 1;
      return v;
    }
    for (let j = a; j < s.length; j++) {
      const c = s.charCodeAt(j);
      if (c === QUOTE) {
        this.i = j + 1;
        try {
          return JSON.parse(s.slice(a - 1, j + 1)) as string;
        } catch {
          return null;
        }
      }
      if (c === 92) j++; // a backslash: the next character is escaped
    }
    return null;
  }

  /** A JSON number at the cursor: an integer read digit by digit (exact below 2^53), anything else by Number. */
  private num(): number | null {
    const s = this.s;
    const a = this.i;
    let j = a;
    let v = 0;
    for (; j < s.length; j++) {
      const c = s.charCodeAt(j) - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
    }
    const c = s.charCodeAt(j);
    if (j > a && j - a < 16 && c !== 46 && c !== 101 && c !== 69 && (s.charCodeAt(a) !== 48 || j === a + 1)) {
      this.i = j;
      return v;
    }
    for (j = a; j < s.length; j++) {
      const d = s.charCodeAt(j);
      if (!((d >= 48 && d <= 57) || d === 46 || d === 45 || d === 43 || d === 101 || d === 69)) break;
    }
    const t = s.slice(a, j);
    if (!NUMBER.test(t)) return null;
    this.i = j;
    return Number(t);
  }
}
