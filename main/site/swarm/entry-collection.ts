// Collecting a quorum for an entry on the peer network: this member signs it through its signing
// record, asks every other member to countersign it in the same view, and commits it once a quorum has
// (then sends it to all). The request carries the entry's author's signature, which each member keeps
// with its own, so that a view change can finish the entry if its proposer is gone (view-change.ts).
import { z } from 'zod';
import {
  entryHash,
  entrySignatureSchema,
  entrySignatureValid,
  viewChangeSchema,
  viewOf,
  type EntrySignature,
  type LedgerEntry,
  type SignedEntry,
  type ViewChange,
} from './ledger-entry.ts';
import { findMember, quorumSize } from './membership.ts';
import type { PeerRequest } from './peer-server.ts';
import { SwarmError } from './swarm-error.ts';
import type { SwarmNode } from './swarm-node.ts';
import { viewCoordinator } from './view-change.ts';

export interface CollectOptions {
  /** 0 (the open view) unless a view change finishes the entry. */
  readonly view?: number;
  /** The author's signature, when this member is not the author (a view change). */
  readonly authorSignature?: EntrySignature;
  /** The statements that allow signing in `view` (> 0). */
  readonly viewChange?: ViewChange;
}

/** What a member is sent to countersign; `entry` is reviewed by its ledger. */
export const countersignRequestSchema = z.strictObject({
  entry: z.unknown(),
  view: z.number().int().min(1).max(1_000_000).optional(),
  authorSignature: entrySignatureSchema.optional(),
  viewChange: viewChangeSchema.optional(),
});

/**
 * Signs `entry` as `node` in `options.view`, collects the other members' signatures in that view and
 * commits the entry at quorum. Throws SwarmError('quorum-short') when too few members sign: nothing
 * is committed.
 */
export async function collectQuorum(
  node: SwarmNode,
  entry: LedgerEntry,
  options: CollectOptions = {},
): Promise<SignedEntry> {
  const state = node.state;
  const view = options.view ?? 0;
  const own = node.ledger.countersign(entry, { id: node.id, privateKey: node.identity.signingKey }, options);
  node.views.watch(entry.height);
  const author = entry.proposer === node.id ? own : options.authorSignature;
  const hash = entryHash(entry);
  const request = {
    entry,
    ...(view > 0 ? { view, viewChange: options.viewChange } : {}),
    ...(author ? { authorSignature: author } : {}),
  };
  const answers = await Promise.allSettled(
    node.peers().map(async (peer) => {
      const value = await node.client.send(peer, state.swarmId, 'countersign', request);
      const signature = value as EntrySignature;
      if (
        signature?.member !== peer.id ||
        viewOf(signature) !== view ||
        !entrySignatureValid(hash, signature.signature, peer.signingKey, view)
      )
        throw new SwarmError(
          'bad-signature',
          `Member ${peer.id.slice(0, 8)} sent a signature that does not verify.`,
        );
      return signature;
    }),
  );
  const inView = [own, ...answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []))];
  const needed = quorumSize(state.members.length, state.quorumRule);
  if (inView.length < needed) {
    const refused = answers.flatMap((a) => (a.status === 'rejected' ? [a.reason as Error] : []));
    node.logger.warn(
      { height: entry.height, view, signed: inView.length, needed },
      'swarm entry short of quorum',
    );
    throw new SwarmError(
      'quorum-short',
      `Only ${inView.length} of ${state.members.length} members countersigned (the swarm needs ${needed}); ` +
        `nothing was committed. It will be proposed again when more members are reachable.` +
        (refused[0] ? ` First refusal: ${refused[0].message}` : ''),
    );
  }
  // A member that moved to a later view at this height commits nothing below it (view-change.ts relies
  // on it): a statement given while this collection was under way wins. Checked and stored with no
  // await between, so no handler runs in between.
  const promised = node.ledger.record.promisedView(state.swarmId, entry.height);
  if (promised > view)
    throw new SwarmError(
      'view-passed',
      `This member moved to view ${promised} at height ${entry.height} while collecting; the view change finishes the height.`,
    );
  const withAuthor = author && !inView.some((s) => s.member === author.member) ? [author] : [];
  const signed: SignedEntry = {
    entry,
    signatures: [...withAuthor, ...inView],
    ...(view > 0 && options.viewChange ? { viewChange: options.viewChange } : {}),
  };
  node.storeEntries([signed]);
  await node.broadcast([signed]);
  return signed;
}

/** A member's answer to a 'countersign' request: its signature, through its signing record. */
export async function answerCountersign(node: SwarmNode, request: PeerRequest): Promise<EntrySignature> {
  const parsed = countersignRequestSchema.safeParse(request.envelope.body);
  if (!parsed.success) throw new SwarmError('bad-message', 'A countersign request is malformed.');
  const { entry, view, authorSignature, viewChange } = parsed.data;
  const height = (entry as { height?: unknown } | null)?.height;
  // A proposal above this member's tip: it missed entries (it was down); fetch them from the proposer.
  if (typeof height === 'number' && height > node.state.nextHeight) {
    const sender = findMember(node.state, request.envelope.from);
    if (sender) await node.catchUp(sender);
  }
  if (height === node.state.nextHeight) node.views.watch(height);
  // In a view above 0 only its coordinator proposes: two proposals in one view could split it again.
  if (view !== undefined && viewCoordinator(node.state, view) !== request.envelope.from)
    throw new SwarmError('not-member', `The caller does not coordinate view ${view} at this height.`);
  const check = node.countersignCheck;
  if (check) await check(entry);
  return node.ledger.countersign(
    entry,
    { id: node.id, privateKey: node.identity.signingKey },
    {
      ...(view === undefined ? {} : { view }),
      ...(authorSignature === undefined ? {} : { authorSignature }),
      ...(viewChange === undefined ? {} : { viewChange }),
    },
  );
}
