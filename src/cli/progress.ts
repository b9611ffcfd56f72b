// Progress bars (cli-progress) that degrade to plain log lines when stdout is not a terminal (CI, pipes).
import cliProgress from 'cli-progress';

export interface Bar {
  start(total: number, label: string): void;
  update(value: number, payload: Record<string, string | number>): void;
  stop(): void;
}

export function progressBar(format = '{label} [{bar}] {value}/{total} {info}'): Bar {
  if (!process.stderr.isTTY || process.env.CI) {
    let total = 0;
    let label = '';
    return {
      start(t, l) {
        total = t;
        label = l;
      },
      update(v, p) {
        process.stderr.write(`${label} ${v}/${total} ${Object.values(p).join(' ')}\n`);
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar({ format, hideCursor: true, clearOnComplete: false, stream: process.stderr }, cliProgress.Presets.shades_classic);
  return {
    start: (t, l) => bar.start(t, 0, { label: l, info: '' }),
    update: (v, p) => bar.update(v, { info: Object.values(p).join(' '), ...p }),
    stop: () => bar.stop(),
  };
}

/** "12.3 s" / "4 min 05 s". */
export function fmtMs(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')} s`;
}

/** key=value with numbers, true/false and comma lists understood. */
export function parseValue(raw: string): unknown {
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (raw.includes(',')) return raw.split(',').map((x) => (Number.isFinite(Number(x)) && x !== '' ? Number(x) : x));
  const n = Number(raw);
  return raw !== '' && Number.isFinite(n) ? n : raw;
}

/** ["ccl.epochs=3", "usad.window=8"] → { ccl: { epochs: 3 }, usad: { window: 8 } }. */
export function parseDetectorParams(pairs: string[]): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const p of pairs) {
    const m = /^([a-z0-9-]+)\.([A-Za-z0-9]+)=(.*)$/.exec(p);
    if (!m) throw new Error(`--param '${p}' is not detector.key=value (e.g. ccl.epochs=3)`);
    (out[m[1]] ??= {})[m[2]] = parseValue(m[3]);
  }
  return out;
}
