// Pooling: one cluster model is trained on the history of all machines at once (src/app/train.ts).
import type { Series } from '../core/series.js';

/**
 * Concatenates machines' histories into one training series: machine k's timestamps are shifted so the pooled
 * timeline stays strictly increasing (windows straddling two machines are few and harmless).
 */
export function poolSeries(list: Series[]): Series {
  if (list.length === 0) throw new RangeError('poolSeries: no series');
  const channels = list[0].channels;
  for (const s of list) {
    if (s.channels.join() !== channels.join()) throw new RangeError(`poolSeries: '${s.name}' has channels ${s.channels.join(', ')}, expected ${channels.join(', ')}`);
  }
  const T = list.reduce((a, s) => a + s.timestamps.length, 0);
  const timestamps = new Float64Array(T);
  const values = new Float32Array(T * channels.length);
  let at = 0;
  let offset = 0;
  for (const s of list) {
    const n = s.timestamps.length;
    const shift = offset - s.timestamps[0];
    for (let i = 0; i < n; i++) timestamps[at + i] = s.timestamps[i] + shift;
    values.set(s.values, at * channels.length);
    at += n;
    const step = n > 1 ? s.timestamps[1] - s.timestamps[0] : 1;
    offset = timestamps[at - 1] + step;
  }
  return { name: 'cluster', timestamps, channels: [...channels], values };
}
