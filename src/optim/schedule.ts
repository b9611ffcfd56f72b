// Learning-rate schedules: linear warm-up then cosine decay, or constant.
export type Schedule = (step: number) => number;

export function constantLR(lr: number): Schedule {
  return () => lr;
}

/** Linear warm-up over `warmup` steps to `lr`, then cosine decay to `minLR` at `total` steps. */
export function warmupCosine(lr: number, warmup: number, total: number, minLR = 0): Schedule {
  return (step) => {
    if (step < warmup) return (lr * (step + 1)) / warmup;
    const p = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
    return minLR + 0.5 * (lr - minLR) * (1 + Math.cos(Math.PI * p));
  };
}

/** lr · factor^⌊step / every⌋: e.g. halved after each epoch (every = steps per epoch, factor = 0.5). */
export function stepDecay(lr: number, every: number, factor = 0.5): Schedule {
  return (step) => lr * Math.pow(factor, Math.floor(step / Math.max(1, every)));
}
