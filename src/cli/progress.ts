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
