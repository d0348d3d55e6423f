// Why this site's update is not in a secure round's sum, in words an operator can act on: what
// happened, that nothing of the site's update was revealed (SecAgg+ never lets the hub hold both kinds
// of share of one site, and an unsent masked input is only keys), and that the site simply takes part
// in the next round. The reasons go to the site's activity list and log through the 'missed' event.
import type { SecAggView } from '../../../shared/federation/index.ts';

/** Where the site was when the round went on without it. */
export type LateAt =
  | 'keys' // still training (or sending its round keys) when the hub closed the key exchange
  | 'shares' // its key shares did not reach the hub before the hub fixed who masks
  | 'masked-input' // still masking or uploading when the hub closed the uploads
  | 'failed'; // the round itself failed at the hub

const NEXT = 'It takes part in the next round as usual; nothing needs doing here.';

function waited(deadlineAt: string | null): string {
  if (!deadlineAt) return '';
  const at = new Date(deadlineAt);
  if (Number.isNaN(at.getTime())) return '';
  return ` (the hub waited for it until ${at.toISOString().slice(11, 16)} UTC)`;
}

export function secureRoundMissedReason(
  at: LateAt,
  details: { deadlineAt?: string | null; failure?: string | null } = {},
): string {
  switch (at) {
    case 'keys':
      return (
        `The other sites finished training and exchanging keys first, and the hub went on without this site` +
        `${waited(details.deadlineAt ?? null)}. Nothing of this site's update left it: only fresh round keys ` +
        `had been sent. ${NEXT}`
      );
    case 'shares':
      return (
        `This site's key shares did not reach the hub before it fixed who takes part in the masked sum` +
        `${waited(details.deadlineAt ?? null)}. Nothing of this site's update left it. ${NEXT}`
      );
    case 'masked-input':
      return (
        `This site was still masking or sending its update when the hub closed the uploads for the round` +
        `${waited(details.deadlineAt ?? null)}, so the round was summed without it. Nothing of its update was ` +
        `revealed: the other sites gave the hub only what removes the masks they share with this site, never ` +
        `its own secret mask. ${NEXT}`
      );
    case 'failed':
      return (
        `The round failed at the hub${details.failure ? `: ${details.failure}` : '.'} Nothing was unmasked and ` +
        `no update of this round was used. ${NEXT}`
      );
  }
}

/** The reason for a round that ended (or moved past this site) without its masked input. */
export function reasonFromView(view: SecAggView): string {
  if (view.phase === 'failed') return secureRoundMissedReason('failed', { failure: view.failureReason });
  if (view.position === null) return secureRoundMissedReason('keys');
  if (!view.done.shared) return secureRoundMissedReason('shares');
  return secureRoundMissedReason('masked-input');
}
