// The values the fake sources serve, shared with the benchmarks that train on the same shapes: metric k of machine m
// at time t — a daily-ish sinusoid per metric, deterministic noise, and machine tm-0 hot after `hotAfter`.

/** Deterministic noise in [0, 1). */
function noise(a: number, b: number, c: number): number {
  let h = (a * 374761393 + b * 668265263 + c * 2147483647) >>> 0;
  h = ((h ^ (h >>> 13)) * 1274126177) >>> 0;
  return (h ^ (h >>> 16)) / 4294967296;
}

export function benchValue(m: number, k: number, tMs: number, hotAfter = Infinity): number {
  const base = 10 + k + 5 * Math.sin(tMs / 3_600_000 + k);
  const hot = m === 0 && tMs >= hotAfter ? 50 : 0;
  return base + noise(m, k, Math.floor(tMs / 1000)) + hot;
}
