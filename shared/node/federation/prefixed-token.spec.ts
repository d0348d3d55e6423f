import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseEnrollmentToken } from './enrollment-token.ts';
import { formatPrefixedToken, MAX_TOKEN_LENGTH, parsePrefixedToken } from './prefixed-token.ts';

const schema = z.strictObject({ a: z.string().max(10) });

describe('hand-carried tokens', () => {
  it('round-trips a payload, with spaces around it as pasted from an e-mail', () => {
    const token = formatPrefixedToken('rfx1.', { a: 'hello' });
    expect(parsePrefixedToken(`  ${token}\n`, 'rfx1.', schema)).toEqual({ a: 'hello' });
  });

  it('refuses another prefix, bad base64url JSON, other fields and an oversized paste', () => {
    expect(parsePrefixedToken(formatPrefixedToken('rfy1.', { a: 'x' }), 'rfx1.', schema)).toBeNull();
    expect(parsePrefixedToken('rfx1.not*base64', 'rfx1.', schema)).toBeNull();
    expect(parsePrefixedToken(formatPrefixedToken('rfx1.', { b: 'x' }), 'rfx1.', schema)).toBeNull();
    expect(parsePrefixedToken(`rfx1.${'A'.repeat(MAX_TOKEN_LENGTH)}`, 'rfx1.', schema)).toBeNull();
  });

  it('an enrollment token pasted as a megabyte is refused before it is decoded', () => {
    expect(() => parseEnrollmentToken(`rft1.${'A'.repeat(1 << 20)}`)).toThrow(
      /not a RadFed enrollment token/,
    );
  });
});
