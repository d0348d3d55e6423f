// Which tensors of a model are running statistics: batch norm's moving mean and moving variance, which
// no gradient trains and which move by tens in a round where weights move by hundredths. Secure
// aggregation gives them their own clip range; the site and the hub must pick exactly the same tensors,
// so both ask this one function, by the tensor's name as the models room writes it
// (`<layer>/moving_mean`, `<layer>/moving_variance`, as tfjs BatchNormalization names them).
import { isLocalTensor } from './tensor-names.ts';

export const RUNNING_STATISTICS_SUFFIXES = ['moving_mean', 'moving_variance'] as const;

export function isRunningStatistic(name: string): boolean {
  return isLocalTensor(name, RUNNING_STATISTICS_SUFFIXES);
}
