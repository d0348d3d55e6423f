// The site's check against a hub that hijacks its training (FSHA, Pasquini et al. 2021: the hub returns
// gradients of its own objective, which train the site's bottom into an encoder the hub can invert).
// A hub that trains the task lowers the site's loss; a hub that trains something else does not. So the
// site holds back some of its training images and, every few steps, measures its loss on them through
// the session (bottom, the hub's trunk, its own head: no step, no update). A SplitGuard-style rule on
// those readings, stated in the task's settings (shared/federation/split/split-defences-schema.ts):
// - it must beat chance: after `warmupChecks` readings the best must be `minimumDrop` below the chance
//   loss, the entropy of the held-back labels' frequencies. That, not the first reading, is the line:
//   the site's own head learns how common each label is on any features, so a loss that starts high
//   falls to chance even when the hub trains something else;
// - it must not climb back: `patience` readings in a row above the best by `riseTolerance` stop it too
//   (a hub that trains honestly at first and hijacks later).
// Either stops the session with the reason in words. Honest training that overfits a small validation
// set can also climb; that is a reason to stop as well, and the sentence says both.
import type { HijackCheckSettings } from '../../../../../shared/federation/split/index.ts';
import { SplitDefenceError } from './split-defence-error.ts';

export interface ValidationReading {
  readonly step: number;
  readonly loss: number;
}

const HINT =
  'Tell the federation coordinator and the privacy officer; approve this task again only when they have ' +
  'checked the hub.';

export class HijackGuard {
  private readonly readings: ValidationReading[] = [];

  /** The loss of a model that knows only how common each label is among the held-back images. */
  readonly chanceLoss: number;
  private readonly validationImages: number;

  constructor(
    private readonly settings: HijackCheckSettings,
    /** The labels of the images the site held back. */
    validationLabels: ArrayLike<number>,
  ) {
    this.validationImages = validationLabels.length;
    this.chanceLoss = labelEntropy(validationLabels);
  }

  /** Whether the validation loss is to be measured before step `step` (and before the first). */
  due(step: number): boolean {
    return step % this.settings.checkEvery === 0;
  }

  get history(): readonly ValidationReading[] {
    return this.readings;
  }

  /** Records a reading; gives the error that stops the session when the rule is broken, else null. */
  record(step: number, loss: number): SplitDefenceError | null {
    const held = `its loss on the ${this.validationImages} images it held back`;
    if (!Number.isFinite(loss)) {
      return this.stop(`${held} is no longer a number at step ${step}`);
    }
    this.readings.push({ step, loss });
    const { warmupChecks, minimumDrop, riseTolerance, patience } = this.settings;
    if (this.readings.length >= warmupChecks) {
      const best = Math.min(...this.readings.map((r) => r.loss));
      if (best > this.chanceLoss * (1 - minimumDrop)) {
        return this.stop(
          `after ${step} steps, ${held} is no better than chance (best ${round(best)}; a model that knows ` +
            `only how common each label is scores ${round(this.chanceLoss)}, and training must beat that by ` +
            `${percent(minimumDrop)} within ${warmupChecks} checks)`,
        );
      }
    }
    if (this.readings.length > patience) {
      const before = this.readings.slice(0, -patience);
      const best = Math.min(...before.map((r) => r.loss));
      const recent = this.readings.slice(-patience);
      if (recent.every((r) => r.loss > best * (1 + riseTolerance))) {
        return this.stop(
          `${held} has climbed back above its best (${round(best)}) by more than ${percent(riseTolerance)} ` +
            `for ${patience} checks in a row (${round(loss)} at step ${step})`,
        );
      }
    }
    return null;
  }

  private stop(what: string): SplitDefenceError {
    return new SplitDefenceError(
      'hub-hijack-suspected',
      `Split learning was stopped at this site: ${what}. The hub's returned gradients may be training this ` +
        `site's layers towards something other than the task (a hijacked session), or the model has begun ` +
        `to overfit; nothing more is sent to the hub.`,
      { hint: HINT },
    );
  }
}

/** The cross-entropy (nats) of predicting each label's frequency: the entropy of the labels. */
function labelEntropy(labels: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / labels.length;
    entropy -= p * Math.log(p);
  }
  return entropy;
}

function round(loss: number): string {
  return loss.toFixed(3);
}

function percent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}
