// The leakage meter's figures in the approval text's words, and the site's refusal of a cut that leaks
// more than its limits (SplitLeakageLimits, a site setting). Lines are indented as the task summary's.
import type { SplitDefences, SplitLeakageLimits } from '../../../../../shared/federation/split/index.ts';
import type { CutLeakage } from './leakage-meter.ts';
import { SplitDefenceError } from './split-defence-error.ts';

export interface LeakageWording {
  readonly labelSharing: boolean;
  readonly defences: SplitDefences;
  /** The site's limits; null when it has set none (the figures are shown, nothing is refused). */
  readonly limits: SplitLeakageLimits | null;
}

const NO_LIMIT = 'This site has set no limit (its settings\u2019 splitLeakageLimits), so it refuses no cut.';

/** The approval text's lines on what the hub could recover at this cut, with the meter's figures. */
export function describeCutLeakage(leakage: CutLeakage, wording: LeakageWording): string[] {
  const { image, labelAuc } = leakage;
  const lines = [
    `  What the hub could rebuild of the images: trained on this site\u2019s own images, a decoder brought ` +
      `${leakage.heldOutImages} held-back images back from the activations after ${leakage.cut} with a ` +
      `structural similarity of ${image.ssim.toFixed(2)} (1 is the same image, 0 unrelated) and a ` +
      `signal-to-noise ratio of ${image.psnr.toFixed(1)} dB. ` +
      (wording.limits ? `This site accepts up to ${wording.limits.maxImageSsim.toFixed(2)}.` : NO_LIMIT),
  ];
  if (wording.labelSharing) {
    lines.push(
      '  Labels: label sharing is on, so the hub receives the label of every training image; no ' +
        'defence at this site changes that.',
    );
  } else if (labelAuc !== null) {
    lines.push(
      `  What the hub could read of the labels: from the length of the gradients this site returns, ` +
        `an AUC of ${labelAuc.toFixed(2)} (0.5 reads nothing, 1 reads every label).` +
        (wording.limits ? ` This site accepts up to ${wording.limits.maxLabelAuc.toFixed(2)}.` : ''),
    );
  }
  lines.push(`  Defences: ${defencesInWords(wording.defences)}.`);
  if (leakage.taskAuc !== null) {
    lines.push(
      `  In a rehearsal on this site’s own images, the model trained with these defences told the ` +
        `held-back images apart with an AUC of ${leakage.taskAuc.toFixed(2)} (1 is perfect, 0.5 chance).`,
    );
  }
  return lines;
}

/** Why this site refuses the cut, in words, or null when the figures are within its limits. */
export function cutLeakageProblem(
  leakage: CutLeakage,
  limits: SplitLeakageLimits,
  labelSharing = false,
): string | null {
  const what = [];
  if (leakage.image.ssim > limits.maxImageSsim) {
    what.push(
      `a decoder brought this site\u2019s held-back images back from the activations after ${leakage.cut} ` +
        `with a structural similarity of ${leakage.image.ssim.toFixed(2)}, above this site\u2019s limit of ` +
        `${limits.maxImageSsim.toFixed(2)}`,
    );
  }
  if (!labelSharing && leakage.labelAuc !== null && leakage.labelAuc > limits.maxLabelAuc) {
    what.push(
      `the lengths of the gradients it returns read its labels with an AUC of ${leakage.labelAuc.toFixed(2)}, ` +
        `above its limit of ${limits.maxLabelAuc.toFixed(2)}`,
    );
  }
  if (what.length === 0) return null;
  return (
    `This site does not approve this cut: ${what.join('; and ')}. Ask the coordinator for a deeper cut or ` +
    `for a defence (NoPeek, activation noise, max norm), or raise this site\u2019s limit in its settings if ` +
    `the privacy officer agrees.`
  );
}

/** Refuses the cut (SplitDefenceError 'cut-too-leaky') when the meter's figures are above the limits. */
export function refuseLeakyCut(leakage: CutLeakage, limits: SplitLeakageLimits, labelSharing = false): void {
  const problem = cutLeakageProblem(leakage, limits, labelSharing);
  if (problem) throw new SplitDefenceError('cut-too-leaky', problem);
}

function defencesInWords(defences: SplitDefences): string {
  const on = [];
  if (defences.noPeek) on.push(`NoPeek (weight ${defences.noPeek.weight})`);
  if (defences.activationNoise) {
    const { clipNorm, noiseMultiplier } = defences.activationNoise;
    on.push(`activations clipped to length ${clipNorm} with noise ${noiseMultiplier} times that length`);
  }
  if (defences.gradientMaxNorm) on.push('max norm on the returned gradients');
  if (defences.hijackCheck) on.push('the check that this site\u2019s own loss keeps falling');
  return on.length ? on.join(', ') : 'none';
}
