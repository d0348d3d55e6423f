// This site's part in a secure round (SecAgg+): send its round keys, then follow the hub's phases
// (long-polling the round), sending its shares, its masked input and, at unmasking, the shares the
// hub needs. Each step is written to disk before it is sent, so a restart resumes the same round with
// the same keys, the same masked bytes (the hub resumes the upload by their hash) and the same
// revealed kinds. Returns once the hub has what it needs from this site, or the round is over.
// Before each step it checks the hub's plan against the approved task (secagg-plan-check.ts); a plan
// that does not match is refused: told (`onPlanRefused`: the audit log, the operator) and thrown as a
// SyncError('plan-refused'), with nothing of that step sent.
import {
  HubRequestError,
  secaggPaths,
  secaggViewSchema,
  type SecAggView,
} from '../../../shared/federation/index.ts';
import {
  sha256Hex,
  sealForHub,
  uploadContext,
  type SealedUpdate,
} from '../../../shared/node/federation/index.ts';
import {
  appendClipBit,
  encodeMaskedInput,
  makeShares,
  maskInput,
  openShares,
  signedAdvertisement,
  quantiseUpdate,
  revealShares,
} from '../../../shared/node/secagg/index.ts';
import { z } from 'zod';
import { withRetries } from './retry.ts';
import type { RoundContext } from './round-work.ts';
import { loadSecureRound, saveSecureRound, type UpdateForMasking } from './secagg-files.ts';
import { hubPlanMismatch, hubPlanRefusal, unmaskMismatch, type HubPlanRefusal } from './secagg-plan-check.ts';
import { loadSigningKeyPins, neighbourKeysMismatch, pinSigningKeys } from './secagg-key-pins.ts';
import { planChange, sharedUnder, survivorListMismatch } from './secagg-plan-memory.ts';
import { reasonFromView, secureRoundMissedReason } from './secagg-missed.ts';
import { readSealed, sendSealedUpdate, writeSealed, type SendOutcome } from './update-upload.ts';
import { SyncError } from './sync-error.ts';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';

const ok = z.object({ ok: z.literal(true) });

/** What a secure round needs of the round's context: `definition` is the task as this site approved it. */
export type SecureRoundContext = Pick<
  RoundContext,
  'client' | 'taskId' | 'retry' | 'signal' | 'chunkBytes' | 'definition'
>;

export async function takePartInSecureRound(
  ctx: SecureRoundContext,
  options: {
    round: number;
    baseVersion: number;
    dir: string;
    update: UpdateForMasking;
    onUploadId: (id: string) => void;
    /** Told of a refused plan before the refusal is thrown (the audit log, the operator). */
    onPlanRefused?: (refusal: HubPlanRefusal) => void;
  },
): Promise<SendOutcome> {
  const { client, taskId } = ctx;
  const { round, dir } = options;
  const file = loadSecureRound(dir);
  const context = { taskId, round };
  const view = () =>
    withRetries(() => client.call(secaggViewSchema, 'GET', secaggPaths.view(taskId, round)), ctx.retry);
  const post = async (path: string, body: unknown): Promise<void> => {
    try {
      await withRetries(() => client.call(ok, 'POST', path, body), ctx.retry);
    } catch (error) {
      // Quicker sites let the hub move to its next phase while this one was sending (at unmasking, t
      // shares of every secret are enough): not a failure, the next view of the round says what now.
      if (error instanceof HubRequestError && error.hubCode === 'secagg-phase-over') return;
      throw error;
    }
  };
  /** Throws the refusal when `mismatch` is one; the step in `phase` is then not taken. */
  const refuseOn = (
    mismatch: ReturnType<typeof hubPlanMismatch>,
    phase: HubPlanRefusal['phase'],
    current: SecAggView,
  ): void => {
    if (!mismatch) return;
    const refusal = hubPlanRefusal(mismatch, { round, phase, maskedInputSent: current.done.masked });
    options.onPlanRefused?.(refusal);
    throw new SyncError('plan-refused', refusal.sentence);
  };
  // Against the approved task, then against the plan this site shared its keys under (a hub may not
  // show one plan at sharing and another later: secagg-plan-memory.ts).
  const pins = loadSigningKeyPins(dir);
  const planCheck = (current: SecAggView, phase: HubPlanRefusal['phase']) => {
    refuseOn(hubPlanMismatch(current, client.siteId, ctx.definition), phase, current);
    refuseOn(planChange(file.sharedUnder, current), phase, current);
    // Each neighbour's keys signed by it, its signing key the one first seen in the task (secagg-key-pins.ts).
    refuseOn(neighbourKeysMismatch(current, pins), phase, current);
  };
  let sentBytes = 0;
  let revision: string | undefined;
  let hubMovedOn = false;
  for (;;) {
    if (ctx.signal.aborted) throw new SyncError('cancelled', 'Stopped on request.');
    const current: SecAggView = await view();
    const own = current.neighbours.find((n) => n.siteId === client.siteId);
    // The hub's latest round is a later one, yet this one reads as still open: cannot happen with a
    // consistent hub; say so rather than wait on a round nobody will move.
    if (hubMovedOn && !['aggregating', 'done', 'failed'].includes(current.phase))
      return missed(reasonFromView(current));
    switch (current.phase) {
      case 'advertising':
        if (!current.done.advertised)
          await post(
            secaggPaths.keys(taskId, round),
            signedAdvertisement(file.secrets, { taskId, round, siteId: client.siteId }, (bytes) =>
              client.signStatement(bytes),
            ),
          );
        break;
      case 'sharing':
        if (current.position === null)
          return missed(secureRoundMissedReason('keys', { deadlineAt: current.deadlineAt }));
        if (!current.done.shared && current.plan && own) {
          planCheck(current, 'sharing'); // before any share of this site's secrets is made
          pinSigningKeys(dir, pins, current);
          // Made afresh when not yet at the hub (say, after a restart): kept before it is sent, so the
          // own share on disk always belongs to the shares the hub holds.
          const made = await makeShares({
            secrets: file.secrets,
            siteId: client.siteId,
            neighbours: current.neighbours,
            threshold: current.plan.threshold,
            context,
          });
          file.ownShare = made.own;
          file.sharedUnder = sharedUnder(current);
          saveSecureRound(dir, file);
          await post(secaggPaths.shares(taskId, round), made.request);
        }
        break;
      case 'masking':
        if (current.position === null) return missed(secureRoundMissedReason('keys'));
        if (!current.done.shared) return missed(secureRoundMissedReason('shares'));
        if (!current.done.masked && current.plan && own) {
          planCheck(current, 'masking'); // before the update is quantised and masked under the plan
          file.held = {
            ...openShares({
              incoming: current.incomingShares,
              secrets: file.secrets,
              siteId: client.siteId,
              neighbours: current.neighbours,
              context,
            }),
            ...(file.ownShare ? { [client.siteId]: file.ownShare } : {}),
          };
          saveSecureRound(dir, file);
          const sealed = readSealed(join(dir, 'masked')) ?? sealMaskedInput(ctx, options, current, file);
          const outcome = await withRetries(
            () =>
              sendSealedUpdate(client, taskId, sealed, {
                ...(ctx.chunkBytes ? { chunkBytes: ctx.chunkBytes } : {}),
                onUploadId: options.onUploadId,
              }),
            ctx.retry,
          );
          // The hub closed the uploads while this one was on its way: the round's view says why, in words.
          if (outcome.kind === 'missed') return missed(reasonFromView(await view()));
          if (outcome.kind !== 'submitted') return outcome;
          sentBytes = outcome.bytes;
        }
        break;
      case 'unmasking':
        if (current.survived && current.dropped && current.plan && !current.done.revealed) {
          planCheck(current, 'unmasking');
          refuseOn(unmaskMismatch(current, ctx.definition), 'unmasking', current);
          refuseOn(survivorListMismatch(current, client.siteId, file.held), 'unmasking', current);
          const { request, revealed } = revealShares({
            held: file.held,
            survived: current.survived,
            dropped: current.dropped,
            threshold: current.plan.threshold,
            alreadyRevealed: file.revealed,
          });
          file.revealed = revealed;
          saveSecureRound(dir, file); // before sending: the kinds revealed are final
          await post(secaggPaths.unmask(taskId, round), request);
        }
        if (current.done.masked) return submitted(sentBytes);
        return missed(secureRoundMissedReason('masked-input'));
      case 'aggregating':
      case 'done':
        return current.done.masked ? submitted(sentBytes) : missed(reasonFromView(current));
      case 'failed':
        return missed(reasonFromView(current));
    }
    // Wait for the hub to move on (the round view's revision changes with the phase).
    const roundView = await withRetries(
      () => client.getRound(taskId, revision === undefined ? {} : { after: revision, waitSeconds: 20 }),
      ctx.retry,
    );
    if (roundView.round !== round) {
      // The hub finished this round and opened the next before this site looked again: under load the
      // other sites can reveal their shares and the hub publish while this process waits for a core.
      // Its masked input may well be in the sum: the round's own view says (it was reported missed,
      // and its participation went unrecorded, when this returned at once).
      hubMovedOn = true;
      continue;
    }
    revision = roundView.revision;
  }
}

function sealMaskedInput(
  ctx: SecureRoundContext,
  options: { round: number; baseVersion: number; dir: string; update: UpdateForMasking },
  view: SecAggView,
  file: ReturnType<typeof loadSecureRound>,
): SealedUpdate {
  const plan = view.plan as NonNullable<SecAggView['plan']>;
  const own = view.neighbours.find((n) => n.siteId === ctx.client.siteId);
  if (!own) throw new SyncError('bad-state', "The hub's plan for this round leaves this site out.");
  // Pairwise masks only with neighbours that shared keys: those whose shares reached this site.
  const sharing = new Set(view.incomingShares.map((s) => s.from));
  const quantised = quantiseUpdate(options.update.delta, options.update.examples, plan).vector;
  // Adaptive clipping: the noised bit is one more element, so the hub learns only the bits' sum.
  const bit = options.update.clipBit;
  const vector = bit === null ? quantised : appendClipBit(quantised, bit, plan.participants);
  maskInput(
    vector,
    { ...own, ...file.secrets },
    view.neighbours.filter((n) => sharing.has(n.siteId)),
    { taskId: ctx.taskId, round: options.round },
  );
  const sealedBytes = sealForHub(
    encodeMaskedInput(vector),
    ctx.client.hub.exchangePublicKey,
    uploadContext({ taskId: ctx.taskId, round: options.round, siteId: ctx.client.siteId, kind: 'delta' }),
  );
  const sealed: SealedUpdate = {
    round: options.round,
    kind: 'delta',
    baseVersion: options.baseVersion,
    examples: 1, // the real weight travels masked, inside the vector
    compression: 'none',
    siteId: ctx.client.siteId,
    sealed: sealedBytes,
    sha256: sha256Hex(sealedBytes),
  };
  mkdirSync(join(options.dir, 'masked'), { recursive: true });
  writeSealed(join(options.dir, 'masked'), sealed);
  return sealed;
}

function submitted(bytes: number): SendOutcome {
  return { kind: 'submitted', submission: null, bytes, resumedFromBytes: 0, uploadId: '' };
}

/** The event carries the round number; the reason is the sentence the operator reads. */
function missed(reason: string): SendOutcome {
  return { kind: 'missed', reason };
}
