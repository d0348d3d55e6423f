// A hijacking hub's trunk (FSHA-style, Pasquini et al. 2021), simulated for the tests of the site's
// hijack check: it serves a split session as an honest trunk would on the wire (its forward pass and
// its evaluation are honest, so the site sees plausible outputs), but the gradient it returns at cut 1
// is not the task's: it pulls the site's activations towards its own encoder's output on its own
// (public) images, the feature space FSHA forces on the site so that the hub's decoder can invert it.
// The site's gradient at cut 2 is read and ignored. No such hub exists to run against, hence this one.
import {
  decodeCutFrame,
  encodeCutFrame,
  type CutFrameHeader,
  type SplitTrunkEngine,
} from '../../../../../shared/federation/split/index.ts';
import { tf } from '../../backend/index.ts';
import { splitModel, type ImageModel, type ModelSegment } from '../../models/index.ts';
import { nodules, type NoduleSet } from '../defences/test-nodules.ts';

const PUBLIC_IMAGES = 256;

export class HijackingTrunkEngine implements SplitTrunkEngine {
  appliedSteps = 0;
  readonly incomingValuesPerImage: readonly number[];
  private readonly trunk: ModelSegment;
  private readonly encoder: ModelSegment;
  private readonly publicImages: NoduleSet;
  private readonly side: number;
  private open: { header: CutFrameHeader; values: Float32Array } | null = null;
  private readonly finished = new Map<string, { step: number; answer: Uint8Array }>();

  /** `hubModel`'s trunk runs forward; `encoderModel`'s bottom is the hub's target feature space. */
  constructor(hubModel: ImageModel, encoderModel: ImageModel) {
    const split = splitModel(hubModel);
    this.trunk = split.trunk;
    this.encoder = splitModel(encoderModel).bottom;
    this.side = hubModel.config.inputSize;
    this.publicImages = nodules(PUBLIC_IMAGES, this.side, 777);
    const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
    this.incomingValuesPerImage = [size(split.shapes.cut1), size(split.shapes.cut2)];
  }

  async forwardTrunk(frame: Uint8Array): Promise<Uint8Array> {
    const { header, values } = decodeCutFrame(frame);
    this.open = { header, values };
    return this.trunkOutput(header, values, 'cut2-activations');
  }

  evaluateTrunk(frame: Uint8Array): Promise<Uint8Array> {
    const { header, values } = decodeCutFrame(frame);
    return this.trunkOutput(header, values, 'cut2-evaluation');
  }

  async backwardTrunk(frame: Uint8Array): Promise<{ readonly frame: Uint8Array }> {
    const { header: gradientHeader } = decodeCutFrame(frame); // read, and ignored
    const done = this.finished.get(gradientHeader.session);
    if (done && done.step === gradientHeader.step) return { frame: done.answer };
    const { header, values } = this.open!;
    const count = header.shape[0]!;
    const from = (this.appliedSteps * count) % (PUBLIC_IMAGES - count);
    const pixels = this.side * this.side;
    const gradient = tf.tidy(() => {
      const publicBatch = tf.tensor4d(
        this.publicImages.images.subarray(from * pixels, (from + count) * pixels),
        [count, this.side, this.side, 1],
      );
      const target = this.encoder.apply(publicBatch, 'infer');
      // ∂/∂a of ½‖a − target‖² / count: the site's bottom is trained towards the hub's encoder.
      return tf.div(tf.sub(tf.tensor(values, [...header.shape]), target), count);
    });
    const answer = encodeCutFrame(
      { ...header, kind: 'cut1-gradient', dtype: 'float32' },
      (await gradient.data()) as Float32Array,
    );
    gradient.dispose();
    this.finished.set(header.session, { step: header.step, answer });
    this.appliedSteps += 1;
    this.open = null;
    return { frame: answer };
  }

  abandon(): void {
    this.open = null;
  }

  finishedStep(session: string): number {
    return this.finished.get(session)?.step ?? -1;
  }

  checkpoint(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(0)); // nothing this hub would need after a restart
  }

  restore(): void {}

  private async trunkOutput(
    header: CutFrameHeader,
    values: Float32Array,
    kind: 'cut2-activations' | 'cut2-evaluation',
  ): Promise<Uint8Array> {
    const output = tf.tidy(() => this.trunk.apply(tf.tensor(values, [...header.shape]), 'infer'));
    const bytes = encodeCutFrame(
      { ...header, kind, shape: output.shape, dtype: 'float32' },
      (await output.data()) as Float32Array,
    );
    output.dispose();
    return bytes;
  }
}
