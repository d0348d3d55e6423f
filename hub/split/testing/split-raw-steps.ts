// A split session driven frame by frame, for the hub's specs that play a site sending chosen values
// (hostile, or simply fixed): the signed connection, and step 0's frames of the test model
// (SPLIT_TEST_MODEL: 32 channels at 4 × 4 at cut 1, 128 values at cut 2, per image).
import { encodeCutFrame, type CutFrameDtype } from '../../../shared/federation/split/index.ts';
import type { SiteEnrollment } from '../../../shared/node/federation/index.ts';
import { SplitConnection } from '../../../shared/node/split/index.ts';
import { newSplitSession } from './split-session-refusal.ts';

/** Values per image of the test model at cut 1 ([4, 4, 32]) and at cut 2 ([1, 1, 128]). */
const CUT1 = [4, 4, 32];
const CUT2 = [1, 1, 128];

/** A site's signed session with its hub for `taskId`. */
export function openSplitSession(
  site: SiteEnrollment,
  taskId: string,
  session = newSplitSession(),
): Promise<SplitConnection> {
  return SplitConnection.open({
    hubUrl: site.hubUrl,
    caPem: site.caPem,
    siteId: site.siteId,
    signingPrivateKeyPem: site.signingPrivateKeyPem,
    taskId,
    session,
  });
}

/** Step 0's activations at cut 1 for `images` images: a ramp, in float32 unless `dtype` says. */
export function stepActivations(session: string, images = 2, dtype: CutFrameDtype = 'float32'): Uint8Array {
  const values = Float32Array.from({ length: images * 512 }, (_, i) => Math.sin(i));
  return encodeCutFrame(
    { kind: 'cut1-activations', session, step: 0, batch: 0, shape: [images, ...CUT1], dtype },
    values,
  );
}

/** Step 0's gradient at cut 2 for `images` images: a ramp times `scale`, in float32. */
export function stepGradient(session: string, scale: number, images = 2): Uint8Array {
  const values = Float32Array.from({ length: images * 128 }, (_, i) => Math.sin(i + 1) * scale);
  return encodeCutFrame(
    { kind: 'cut2-gradient', session, step: 0, batch: 0, shape: [images, ...CUT2], dtype: 'float32' },
    values,
  );
}
