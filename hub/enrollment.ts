// Enrollment: the coordinator makes a one-time token; a site presents its secret with its public keys
// and becomes a known site. A token works once, before it expires or is revoked, and (when it names a
// site) only for that site name. The coordinator may revoke an unused token, and remove a site: its
// key is refused from then on (request-auth.ts), and so are unused tokens made for its name.
import { taskChannel } from './hub-events.ts';
import { randomBytes } from 'node:crypto';
import { formatEnrollmentToken, sha256Hex } from '../shared/node/federation/index.ts';
import {
  type EnrollCheckRequest,
  type EnrollCheckResponse,
  type EnrollRequest,
  type EnrollResponse,
} from '../shared/federation/index.ts';
import { isoAt, newId, type HubContext } from './hub-context.ts';
import { conflict, forbidden, notFound, unauthorised } from './hub-errors.ts';
import { hubInfo } from './setup/index.ts';
import type { HubRows } from './store/index.ts';

export interface CreatedToken {
  /** The string to hand to the site (carries the hub URL hint, secret and pins). */
  readonly token: string;
  readonly tokenId: string;
  readonly siteName: string | null;
  readonly expiresAt: string;
}

export async function createEnrollmentToken(
  ctx: HubContext,
  options: { hubUrl: string; siteName?: string; expiresInMs: number },
): Promise<CreatedToken> {
  const secret = randomBytes(32).toString('base64url');
  const tokenId = newId('tok');
  const expiresAt = new Date(ctx.now() + options.expiresInMs).toISOString();
  await ctx.store.sites.insertToken({
    id: tokenId,
    secret_sha256: sha256Hex(secret),
    site_name: options.siteName ?? null,
    created_at: isoAt(ctx),
    expires_at: expiresAt,
  });
  const token = formatEnrollmentToken({
    hubUrl: options.hubUrl,
    secret,
    caFingerprint: ctx.keys.caFingerprint,
    signingKeyFingerprint: ctx.keys.signingKeyFingerprint,
  });
  return { token, tokenId, siteName: options.siteName ?? null, expiresAt };
}

/**
 * Whether a token would be accepted now, for this site name when given, without using it: the setup
 * wizard's "Check the connection" asks before the site exists, so an expired or used token is caught
 * before anything is made. The token's secret is 32 random bytes, so this answers nothing to a guesser.
 */
export async function checkEnrollmentToken(
  ctx: HubContext,
  request: EnrollCheckRequest,
): Promise<EnrollCheckResponse> {
  const token = await usableToken(ctx, ctx.store, request.tokenSecret, request.siteName?.trim());
  return { valid: true, expiresAt: token.expires_at, siteName: token.site_name };
}

/** The token row when a site may enroll with it (under this name, when given); else a refusal in words. */
async function usableToken(
  ctx: HubContext,
  store: HubRows,
  tokenSecret: string,
  siteName: string | undefined,
) {
  const token = await store.sites.tokenBySecretHash(sha256Hex(tokenSecret));
  if (!token) {
    throw unauthorised(
      'unknown-token',
      'This enrollment token is not known to this hub; check that you copied all of it, and that it is for this hub.',
    );
  }
  if (token.revoked_at) {
    throw unauthorised(
      'token-revoked',
      'This enrollment token was revoked by the coordinator; ask them for a new one.',
    );
  }
  if (token.used_at) {
    throw unauthorised(
      'token-used',
      `This enrollment token was already used on ${token.used_at.slice(0, 16).replace('T', ' ')} UTC; a token works once. Ask the coordinator for a new one.`,
    );
  }
  if (Date.parse(token.expires_at) <= ctx.now()) {
    throw unauthorised(
      'token-expired',
      `This enrollment token expired on ${token.expires_at.slice(0, 16).replace('T', ' ')} UTC; ask the coordinator for a new one.`,
    );
  }
  if (siteName === undefined) return token;
  if (token.site_name !== null && token.site_name !== siteName) {
    throw forbidden(
      'token-for-other-site',
      `This enrollment token is for the site "${token.site_name}", not "${siteName}".`,
    );
  }
  const sameName = await store.sites.siteByName(siteName);
  if (sameName) {
    throw conflict(
      'site-name-taken',
      sameName.removed_at
        ? `A site named "${siteName}" was removed from this hub, and its name stays with its past rounds; enroll under another name.`
        : `A site named "${siteName}" is already enrolled; choose another name.`,
    );
  }
  return token;
}

export function enrollSite(ctx: HubContext, request: EnrollRequest): Promise<EnrollResponse> {
  const siteName = request.siteName.trim();
  return ctx.store.transaction(async (tx) => {
    const token = await usableToken(ctx, tx, request.tokenSecret, siteName);
    if (await tx.sites.siteBySigningKey(request.signingPublicKey)) {
      throw conflict(
        'key-taken',
        'This signing key already belongs to an enrolled site; make new keys to enroll again.',
      );
    }
    const siteId = newId('site');
    const at = isoAt(ctx);
    await tx.sites.insertSite({
      id: siteId,
      name: siteName,
      signing_public_key: request.signingPublicKey,
      exchange_public_key: request.exchangePublicKey,
      token_id: token.id,
      enrolled_at: at,
    });
    if (!(await tx.sites.useToken(token.id, siteId, at))) {
      throw unauthorised(
        'token-used',
        'This enrollment token was just used by another request; ask for a new one.',
      );
    }
    return { siteId, siteName, hub: hubInfo(ctx.keys, ctx.config.name, ctx.now()) };
  });
}

/** Revokes an enrollment token that has not been used; a used one is a site (remove the site instead). */
export async function revokeEnrollmentToken(ctx: HubContext, tokenId: string): Promise<void> {
  const token = await ctx.store.sites.token(tokenId);
  if (!token) throw notFound('no-token', `There is no enrollment token ${tokenId} at this hub.`);
  if (token.revoked_at) throw conflict('token-revoked', `Token ${tokenId} is already revoked.`);
  if (!(await ctx.store.sites.revokeToken(token.id, isoAt(ctx)))) {
    throw conflict(
      'token-used',
      `Token ${tokenId} was already used to enroll a site; remove that site instead if it should not take part.`,
    );
  }
}

/**
 * Removes a site: from now on the hub refuses every request signed with its key, and every unused
 * token made for its name. Its row stays, so past rounds still say who sent what. Updates it sent
 * stay where they were accepted; an open round goes on without it (see docs/hub-dashboard.md).
 */
export async function removeSite(
  ctx: HubContext,
  siteId: string,
): Promise<{ name: string; tokensRevoked: number }> {
  const removed = await ctx.store.transaction(async (tx) => {
    const site = await tx.sites.site(siteId);
    if (!site) throw notFound('no-site', `There is no site ${siteId} at this hub.`);
    if (site.removed_at) throw conflict('site-removed', `The site "${site.name}" is already removed.`);
    const at = isoAt(ctx);
    await tx.sites.removeSite(site.id, at);
    return { name: site.name, tokensRevoked: await tx.sites.revokeTokensForSiteName(site.name, at) };
  });
  // Rounds stop waiting for it (joinedSites leaves removed sites out); the hub's timer moves them on,
  // and sites waiting on a round hear of the change now.
  for (const taskId of await ctx.store.tasks.activeTaskIds()) ctx.events.publish(taskChannel(taskId));
  return removed;
}
