// Whose round keys a site encrypts its shares to and masks with. The hub lists each neighbour's round
// keys with the neighbour's signature over them and the signing key it enrolled with; a hub that listed
// keys of its own in a neighbour's place would receive the shares of this site's secrets and could strip
// its masks. So a site takes a neighbour's keys only with a valid signature, and pins each neighbour's
// signing key the first time it sees it in a task (trust on first use), refusing a different one later.
// What remains: the first sight trusts the hub's word for the signing key (a hub compromised from the
// start can list keys it made, as it can enrol sites of its own); the pin stops a hub that turns later.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { SecAggView } from '../../../shared/federation/index.ts';
import { writeFileAtomically } from '../../../shared/node/index.ts';
import { roundKeysSignatureValid, type PlanMismatch } from '../../../shared/node/secagg/index.ts';

/** Site id → the signing key first seen for it in this task (raw Ed25519, base64url). */
export type SigningKeyPins = Record<string, string>;

const pinsSchema = z.record(z.string(), z.string());

/** The task's pins file, beside its round folders (`roundDir` is one of them). */
function pinsFile(roundDir: string): string {
  return join(dirname(roundDir), 'secagg-signing-keys.json');
}

export function loadSigningKeyPins(roundDir: string): SigningKeyPins {
  const file = pinsFile(roundDir);
  return existsSync(file) ? pinsSchema.parse(JSON.parse(readFileSync(file, 'utf8'))) : {};
}

/** Pins the neighbours `view` lists that were not pinned yet, and keeps the pins on disk. */
export function pinSigningKeys(
  roundDir: string,
  pins: SigningKeyPins,
  view: Pick<SecAggView, 'neighbours'>,
): void {
  let added = false;
  for (const n of view.neighbours)
    if (pins[n.siteId] === undefined) {
      pins[n.siteId] = n.signingKey;
      added = true;
    }
  if (added) writeFileAtomically(pinsFile(roundDir), JSON.stringify(pins), { mode: 0o600 });
}

/**
 * Why this site may not take the round keys `view` lists, or null: a neighbour's keys without a valid
 * signature by the signing key listed with them, or a signing key other than the one pinned for it.
 */
export function neighbourKeysMismatch(
  view: Pick<SecAggView, 'taskId' | 'round' | 'neighbours'>,
  pins: SigningKeyPins,
): PlanMismatch | null {
  const unsigned = view.neighbours.filter(
    (n) =>
      n.signature === null ||
      !roundKeysSignatureValid({ taskId: view.taskId, round: view.round, ...n }, n.signature, n.signingKey),
  ).length;
  if (unsigned > 0)
    return {
      field: 'participant-keys',
      planned: unsigned,
      expected: 0,
      problem:
        `the round keys the hub lists for ${unsigned} site(s) of this neighbourhood do not carry that site's ` +
        'signature (keys of the hub in their place, or a hub from before secure-aggregation keys were signed).',
    };
  const changed = view.neighbours.filter(
    (n) => pins[n.siteId] !== undefined && pins[n.siteId] !== n.signingKey,
  ).length;
  if (changed > 0)
    return {
      field: 'participant-keys',
      planned: changed,
      expected: 0,
      problem: `the hub lists a signing key for ${changed} site(s) of this neighbourhood other than the one it listed for them earlier in this task.`,
    };
  return null;
}
