// Validation metrics for a binary finding: loss, accuracy, ROC AUC (Mann–Whitney, ties counted half),
// sensitivity and specificity at a probability threshold.

export interface ValidationMetrics {
  loss: number;
  accuracy: number;
  /** Area under the ROC curve; null when the validation set holds only one class. */
  auc: number | null;
  /** True-positive rate at the threshold; null without positives. */
  sensitivity: number | null;
  /** True-negative rate at the threshold; null without negatives. */
  specificity: number | null;
  count: number;
}

/**
 * @param scores probability of the positive class (label 1) per image
 * @param labels 0 or 1 per image (for more classes: the predicted class per image decides accuracy)
 * @param loss mean cross-entropy over the images
 */
export function binaryMetrics(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  loss: number,
  threshold = 0.5,
): ValidationMetrics {
  const n = labels.length;
  let tp = 0;
  let tn = 0;
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const positive = labels[i] === 1;
    const predicted = scores[i]! >= threshold;
    if (positive) positives++;
    if (positive && predicted) tp++;
    if (!positive && !predicted) tn++;
  }
  const negatives = n - positives;
  return {
    loss,
    accuracy: n === 0 ? 0 : (tp + tn) / n,
    auc: rocAuc(scores, labels),
    sensitivity: positives === 0 ? null : tp / positives,
    specificity: negatives === 0 ? null : tn / negatives,
    count: n,
  };
}

/** P(score of a random positive > score of a random negative), ties counting one half. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  const order = Array.from({ length: labels.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPositives = 0;
  let positives = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const averageRank = (i + j) / 2 + 1; // tied scores share their mean rank
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!] === 1) {
        rankSumPositives += averageRank;
        positives++;
      }
    }
    i = j + 1;
  }
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return null;
  return (rankSumPositives - (positives * (positives + 1)) / 2) / (positives * negatives);
}
