// The one shape of RadFed's hand-carried tokens (the hub's enrollment token, a swarm invitation):
// a version prefix and base64url of a small JSON object, checked against its schema. Parsing returns
// null for anything that is not such a token (wrong prefix, too long, not base64url JSON, wrong fields),
// and each caller says in its own words what the person should copy instead.
import type { z } from 'zod';

/** Long enough for any address and fingerprints; a pasted novel is refused before it is decoded. */
export const MAX_TOKEN_LENGTH = 4096;

export function formatPrefixedToken(prefix: string, payload: Record<string, string>): string {
  return prefix + Buffer.from(JSON.stringify(payload)).toString('base64url');
}

export function parsePrefixedToken<T>(text: string, prefix: string, schema: z.ZodType<T>): T | null {
  const trimmed = text.trim();
  if (!trimmed.startsWith(prefix) || trimmed.length > MAX_TOKEN_LENGTH) return null;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(trimmed.slice(prefix.length), 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : null;
}
