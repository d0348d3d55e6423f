// The ledger hashes entries as RFC 8785 (JSON Canonicalization Scheme) text, made by the project's
// canonicalJson (shared/federation/canonical-json.ts) rather than the npm `canonicalize` package: for
// the values an entry holds (printable-ASCII strings, safe integers, one finite ε) the two agree, which
// this spec pins with the RFC's own vectors. Where they would differ (a lone surrogate, which RFC 8785
// refuses as not I-JSON; an object with toJSON) an entry cannot reach it: its schema allows neither.
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../shared/federation/index.ts';
import { entryHash, type LedgerEntry } from './ledger-entry.ts';

function fromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

describe('canonical JSON as RFC 8785 writes it, for the values a ledger entry holds', () => {
  it('writes numbers as RFC 8785 Appendix B does', () => {
    const vectors: [string, string][] = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    for (const [bits, text] of vectors) expect([bits, canonicalJson(fromBits(bits))]).toEqual([bits, text]);
    expect(() => canonicalJson(fromBits('7fffffffffffffff'))).toThrow(TypeError);
    expect(() => canonicalJson(fromBits('7ff0000000000000'))).toThrow(TypeError);
  });

  it('sorts keys by UTF-16 code units at every depth, with no whitespace (RFC 8785 3.2.3)', () => {
    const keys = ['\u20ac', '\r', '\ufb33', '1', '\ud83d\ude00', '\u0080', '\u00f6'];
    const order = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'];
    const text = canonicalJson(Object.fromEntries(keys.map((k) => [k, 0])));
    expect(text).toBe(`{${order.map((k) => `${JSON.stringify(k)}:0`).join(',')}}`);
    expect(canonicalJson({ b: [1, { d: true, c: null }], a: 'x' })).toBe(
      '{"a":"x","b":[1,{"c":null,"d":true}]}',
    );
  });

  it('gives a fixed entry a fixed hash, so a member written in another language can check ours', () => {
    const entry: LedgerEntry = {
      format: 1,
      swarm: 'a'.repeat(64),
      height: 7,
      previous: 'b'.repeat(64),
      proposer: 'c'.repeat(32),
      proposedAt: '2026-12-01T09:00:00.000Z',
      body: {
        kind: 'aggregate-commit',
        round: 2,
        leader: 'c'.repeat(32),
        model: 'd'.repeat(64),
        serverState: null,
        participants: ['c'.repeat(32)],
        epsilonSpent: 0.35,
      },
    };
    expect(canonicalJson(entry)).toBe(
      `{"body":{"epsilonSpent":0.35,"kind":"aggregate-commit","leader":"${'c'.repeat(32)}","model":"${'d'.repeat(64)}",` +
        `"participants":["${'c'.repeat(32)}"],"round":2,"serverState":null},"format":1,"height":7,` +
        `"previous":"${'b'.repeat(64)}","proposedAt":"2026-12-01T09:00:00.000Z","proposer":"${'c'.repeat(32)}",` +
        `"swarm":"${'a'.repeat(64)}"}`,
    );
    // sha256 of the text above, computed apart (Python's hashlib).
    expect(entryHash(entry)).toBe('a73893b76238fae0f39261eef3657ac5e0cce48dd6c77ec33f9089f02d61500e');
  });
});
