// Whose round keys a site takes, case by case (the loopback spec, secagg-signed-keys.spec.ts, shows a
// real hub swapping a neighbour's key): keys signed by the signing key listed with them pass and are
// pinned on disk for the task; keys that signature does not cover (the hub's in a neighbour's place),
// keys with no signature (a hub from before), and a neighbour whose signing key changed since it was
// pinned (the hub re-signed keys of its own with a key of its own) are refused.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ListedParticipant } from '../../../shared/federation/index.ts';
import { rawPublicKey } from '../../../shared/node/federation/index.ts';
import { newRoundSecrets, publicKeysOf, signRoundKeys } from '../../../shared/node/secagg/index.ts';
import { loadSigningKeyPins, neighbourKeysMismatch, pinSigningKeys } from './secagg-key-pins.ts';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

const at = { taskId: 'task-1', round: 3 };

/** A site's listing as an honest hub makes it: its keys, signed by its own signing key. */
function listed(
  siteId: string,
  position: number,
  signer = generateKeyPairSync('ed25519'),
): ListedParticipant {
  const keys = publicKeysOf(newRoundSecrets());
  const statement = { ...at, siteId, ...keys };
  return {
    siteId,
    position,
    ...keys,
    signature: signRoundKeys(statement, signer.privateKey),
    signingKey: rawPublicKey(signer.publicKey),
  };
}

function roundDir(): string {
  const task = mkdtempSync(join(tmpdir(), 'radfed-key-pins-'));
  folders.push(task);
  const dir = join(task, 'round-0003');
  mkdirSync(dir);
  return dir;
}

describe("a neighbour's round keys", () => {
  it('takes keys signed by the listed signing key, and pins each signing key on disk for the task', () => {
    const dir = roundDir();
    const view = { ...at, neighbours: [listed('a', 0), listed('b', 1), listed('c', 2)] };
    const pins = loadSigningKeyPins(dir);
    expect(neighbourKeysMismatch(view, pins)).toBeNull();
    pinSigningKeys(dir, pins, view);
    expect(loadSigningKeyPins(join(dir, '..', 'round-0004'))).toEqual(
      Object.fromEntries(view.neighbours.map((n) => [n.siteId, n.signingKey])),
    );
  });

  it("refuses keys the signature does not cover, keys without one, and another round's signature", () => {
    const [a, b, c] = [listed('a', 0), listed('b', 1), listed('c', 2)];
    const swapped = { ...b, maskPublicKey: publicKeysOf(newRoundSecrets()).maskPublicKey };
    const otherRound = { ...at, round: 4, neighbours: [a, b, c] };
    for (const view of [
      { ...at, neighbours: [a, swapped, c] },
      { ...at, neighbours: [a, b, { ...c, signature: null }] },
      otherRound,
    ])
      expect(neighbourKeysMismatch(view, {})).toMatchObject({
        field: 'participant-keys',
        problem: expect.stringMatching(/do not carry that site's signature/) as unknown,
      });
  });

  it('refuses a neighbour whose signing key changed since it was first seen in the task', () => {
    const dir = roundDir();
    const first = { ...at, neighbours: [listed('a', 0), listed('b', 1), listed('c', 2)] };
    const pins = loadSigningKeyPins(dir);
    pinSigningKeys(dir, pins, first);
    // The next round: the hub lists keys of its own for b, signed with a signing key of its own.
    const next = { ...at, neighbours: [first.neighbours[0]!, listed('b', 1), first.neighbours[2]!] };
    expect(neighbourKeysMismatch(next, loadSigningKeyPins(dir))).toMatchObject({
      field: 'participant-keys',
      planned: 1,
      problem: expect.stringMatching(
        /a signing key for 1 site\(s\) .* other than the one it listed for them earlier/,
      ) as unknown,
    });
  });
});
