// Any one-character change to a ledger page on the wire is refused with a LedgerVerificationError (or,
// where the change does not alter what was signed, e.g. spare bits of a base64url signature, verifies
// to the same entries): never a crash of another kind, never a different ledger accepted.
import { describe, expect, it } from 'vitest';
import { parseLedgerPage, verifyChain } from './chain-verification.ts';
import { LedgerVerificationError } from './swarm-error.ts';
import { buildTestSwarm } from './testing/swarm-fixture.ts';

describe('a ledger page changed in transit', () => {
  it('is refused, or verifies to the very same entries, for every tried one-character change', () => {
    const swarm = buildTestSwarm(['Leeds', 'Lyon', 'Leiden']);
    swarm.add({ kind: 'leave', member: swarm.sites[2]!.id, reason: 'left' }, swarm.sites[2]!, [
      swarm.sites[0]!,
    ]);
    const text = JSON.stringify(swarm.chain);
    const original = verifyChain(null, parseLedgerPage(text, 0)).map((entry) => entry.hash);
    const replacements = ['0', 'f', 'A', '"', '}', ':', '9', '_'];
    let refused = 0;
    for (let position = 0; position < text.length; position += 7) {
      const replacement = replacements[position % replacements.length]!;
      if (text[position] === replacement) continue;
      const changed = text.slice(0, position) + replacement + text.slice(position + 1);
      try {
        const hashes = verifyChain(null, parseLedgerPage(changed, 0)).map((entry) => entry.hash);
        expect(hashes).toEqual(original);
      } catch (error) {
        if (!(error instanceof LedgerVerificationError)) throw error;
        refused += 1;
      }
    }
    expect(refused).toBeGreaterThan(text.length / 7 / 2);
  });

  it('refuses keys that JSON.parse makes own properties, such as __proto__', () => {
    const swarm = buildTestSwarm(['Leeds']);
    const text = JSON.stringify(swarm.chain).replace('{"entry":{', '{"entry":{"__proto__":{"x":1},');
    expect(() => verifyChain(null, parseLedgerPage(text, 0))).toThrow(LedgerVerificationError);
  });
});
