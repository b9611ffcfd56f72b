// Labels ↔ events: maximal runs of 1s as half-open index ranges [start, end).
export type Event = [number, number];

export function toEvents(labels: ArrayLike<number>): Event[] {
  const ev: Event[] = [];
  let start = -1;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] && start < 0) start = i;
    if (!labels[i] && start >= 0) {
      ev.push([start, i]);
      start = -1;
    }
  }
  if (start >= 0) ev.push([start, labels.length]);
  return ev;
}

export function checkPair(what: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new RangeError(`${what}: ${a.length} scores/predictions for ${b.length} labels`);
}
