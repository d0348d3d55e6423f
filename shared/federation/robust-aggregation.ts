// Robust aggregation: the next global model from statistics of the individual updates that resist a
// few faulty or hostile sites. Each needs every site's own update, so none can run under secure
// aggregation (the hub sees only the sum there); the task schema refuses that combination.
//   median        coordinate-wise median (Yin et al. 2018)
//   trimmed mean  coordinate-wise mean of what is left after dropping the ⌊βn⌋ largest and smallest
//   Krum          each update scored by the summed squared distances to its n − f − 2 nearest others;
//                 the mean of the `select` best-scored updates (Blanchard et al. 2017; multi-Krum)
// Example counts do not weight these: a weight would let one large site outvote the rest.
import { FederationError } from './errors.ts';
import { assertSameLayout, layoutOf, type NamedTensor, type WeightSet } from './tensors.ts';

/** Coordinate-wise median of the updates (for an even count, the mean of the middle two). */
export function medianDelta(deltas: readonly WeightSet[]): NamedTensor[] {
  checkDeltas(deltas);
  return coordinatewise(deltas, (values) => trimmedMean(values, Math.floor((values.length - 1) / 2)));
}

/** Coordinate-wise mean after dropping the ⌊trimFraction·n⌋ largest and smallest values. */
export function trimmedMeanDelta(deltas: readonly WeightSet[], trimFraction: number): NamedTensor[] {
  checkDeltas(deltas);
  const trim = Math.floor(trimFraction * deltas.length);
  return coordinatewise(deltas, (values) => trimmedMean(values, trim));
}

/** (Multi-)Krum: the mean of the `select` updates closest to their n − byzantine − 2 nearest others. */
export function krumDelta(deltas: readonly WeightSet[], byzantine: number, select: number): NamedTensor[] {
  checkDeltas(deltas);
  return krum(deltas, byzantine, select);
}

function checkDeltas(deltas: readonly WeightSet[]): void {
  const first = deltas[0];
  if (!first) throw new FederationError('bad-strategy', 'There is no update to aggregate.');
  for (const delta of deltas) assertSameLayout(layoutOf(delta), layoutOf(first));
}

/** Mean of the sorted values without `trim` from each end (for trim = ⌊(n−1)/2⌋ this is the median). */
function trimmedMean(values: Float64Array, trim: number): number {
  values.sort();
  let sum = 0;
  for (let i = trim; i < values.length - trim; i += 1) sum += values[i] as number;
  return sum / (values.length - 2 * trim);
}

function coordinatewise(
  deltas: readonly WeightSet[],
  combine: (values: Float64Array) => number,
): NamedTensor[] {
  const first = deltas[0] as WeightSet;
  const values = new Float64Array(deltas.length);
  return first.map((tensor, t) => {
    const out = new Float32Array(tensor.data.length);
    for (let i = 0; i < out.length; i += 1) {
      deltas.forEach((delta, s) => (values[s] = (delta[t] as NamedTensor).data[i] as number));
      out[i] = combine(values);
    }
    return { name: tensor.name, shape: [...tensor.shape], data: out };
  });
}

function krum(deltas: readonly WeightSet[], byzantine: number, select: number): NamedTensor[] {
  const n = deltas.length;
  const nearest = n - byzantine - 2;
  if (nearest < 1) {
    throw new FederationError(
      'bad-strategy',
      `Krum with ${byzantine} faulty site${byzantine === 1 ? '' : 's'} needs at least ${byzantine + 3} updates; this round has ${n}. Raise the quorum or lower krum.byzantine.`,
    );
  }
  const distance = (a: WeightSet, b: WeightSet) => {
    let sum = 0;
    a.forEach((tensor, t) => {
      const other = (b[t] as NamedTensor).data;
      for (let i = 0; i < tensor.data.length; i += 1)
        sum += ((tensor.data[i] as number) - (other[i] as number)) ** 2;
    });
    return sum;
  };
  const distances = deltas.map((a, i) => deltas.map((b, j) => (i === j ? 0 : j < i ? 0 : distance(a, b))));
  const d = (i: number, j: number) => (i < j ? distances[i]?.[j] : distances[j]?.[i]) as number;
  const scores = deltas.map((_, i) => {
    const others = deltas
      .map((_, j) => j)
      .filter((j) => j !== i)
      .map((j) => d(i, j))
      .sort((x, y) => x - y);
    return { i, score: others.slice(0, nearest).reduce((sum, value) => sum + value, 0) };
  });
  const chosen = scores.sort((x, y) => x.score - y.score || x.i - y.i).slice(0, Math.min(select, n));
  const first = deltas[0] as WeightSet;
  return first.map((tensor, t) => {
    const out = new Float32Array(tensor.data.length);
    for (const { i } of chosen) {
      const data = ((deltas[i] as WeightSet)[t] as NamedTensor).data;
      for (let k = 0; k < out.length; k += 1)
        out[k] = (out[k] as number) + (data[k] as number) / chosen.length;
    }
    return { name: tensor.name, shape: [...tensor.shape], data: out };
  });
}
