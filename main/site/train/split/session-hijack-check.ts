// The hijack check run between a session's steps (docs/split-learning.md, "Threats and defences"):
// before every `checkEvery`-th step the site measures its loss on the images it held back, through the
// session's evaluation exchange (its bottom and defences here, the hub's trunk in inference, its head
// here: nothing is trained), and HijackGuard's rule reads the loss. When the rule is broken the site's
// session is stopped (SplitSite.stop): the open step is dropped and nothing more leaves for the hub.
import type { HijackCheckSettings } from '../../../../shared/federation/split/index.ts';
import { tf } from '../backend/index.ts';
import type { CutPoints } from '../models/index.ts';
import { HijackGuard, siteValidationLoss, type SplitDefenceError } from './defences/index.ts';
import type { SplitSessionRunner } from './split-session-runner.ts';
import type { SiteCutDefences, SplitSite } from './split-site.ts';

export interface SessionHijackCheckOptions {
  readonly site: SplitSite;
  readonly runner: SplitSessionRunner;
  readonly settings: HijackCheckSettings;
  /** The images the site held back from training [n, size, size, 1] (kept by the caller) and their labels. */
  readonly heldBack: { readonly images: tf.Tensor4D; readonly labels: Int32Array };
  readonly cuts?: CutPoints;
  readonly defences?: SiteCutDefences;
  /** Images per evaluation frame: the hub refuses frames above its batch bound (the task's batch fits). */
  readonly imagesPerFrame: number;
}

export class SessionHijackCheck {
  readonly guard: HijackGuard;

  constructor(private readonly options: SessionHijackCheckOptions) {
    this.guard = new HijackGuard(options.settings, options.heldBack.labels);
  }

  /**
   * Runs before step `step`: when a reading is due, measures it; gives the verdict that stopped the
   * session (the site refuses every later step with it), or null while training may go on.
   */
  async beforeStep(step: number): Promise<SplitDefenceError | null> {
    if (!this.guard.due(step)) return null;
    const { site, heldBack, cuts, defences } = this.options;
    const loss = await siteValidationLoss(
      site.model,
      heldBack.images,
      heldBack.labels,
      (atCut1) => this.evaluate(step, atCut1),
      { ...(cuts ? { cuts } : {}), ...(defences ? { defences } : {}) },
    );
    const verdict = this.guard.record(step, loss);
    if (verdict) site.stop(verdict);
    return verdict;
  }

  /** The trunk's output on the held-back activations, a frame of at most `imagesPerFrame` at a time. */
  private async evaluate(step: number, atCut1: tf.Tensor4D): Promise<tf.Tensor> {
    const per = Math.max(1, this.options.imagesPerFrame);
    const count = atCut1.shape[0];
    const parts: tf.Tensor[] = [];
    try {
      for (let from = 0, batch = 0; from < count; from += per, batch++) {
        const chunk = tf.slice(atCut1, [from, 0, 0, 0], [Math.min(per, count - from), -1, -1, -1]);
        try {
          parts.push(await this.options.runner.evaluateTrunk(step, batch, chunk));
        } finally {
          chunk.dispose();
        }
      }
      return parts.length === 1 ? parts[0]!.clone() : tf.concat(parts, 0);
    } finally {
      for (const part of parts) part.dispose();
    }
  }
}
