// How well a score tells two classes apart: the area under the ROC curve, by the Mann–Whitney count
// (ties count one half). A hub reading labels from gradient lengths may guess either direction, so the
// meter reports the larger of the AUC and 1 − AUC: 0.5 tells nothing, 1 reads every label.

/** AUC of `scores` for the images with label `positive` against the rest; null without both classes. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>, positive = 1): number | null {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSum = 0;
  // Average ranks over runs of equal scores.
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]!] === scores[order[start]!]) end++;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) {
      if (labels[order[k]!] === positive) {
        positives++;
        rankSum += rank;
      }
    }
    start = end + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return null;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** The AUC an attacker who may pick the direction gets: max(AUC, 1 − AUC). */
export function labelReadingAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  const auc = rocAuc(scores, labels);
  return auc === null ? null : Math.max(auc, 1 - auc);
}
