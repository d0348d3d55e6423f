// Checks a site's signed request: known site, timestamp within the skew window, signature over
// method + path + body hash + timestamp + nonce, and a nonce not seen before. Nonces are kept for
// twice the window, so a request stays unreplayable for as long as its timestamp is acceptable.
import {
  CLOCK_SKEW_MS,
  importPublicKey,
  sha256Hex,
  SIGNATURE_HEADERS,
  verifyRequestSignature,
} from '../shared/node/federation/index.ts';
import type { HubContext } from './hub-context.ts';
import { unauthorised } from './hub-errors.ts';
import type { SiteRow } from './store/index.ts';

export interface SignedRequest {
  readonly method: string;
  /** Path and query as received. */
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Uint8Array;
}

/** What the signature headers say, checked as far as they can be without the body. */
export interface SignedHeaders {
  readonly site: SiteRow;
  readonly timestamp: string;
  readonly nonce: string;
  readonly signature: string;
}

/**
 * The checks that need no body: all four headers well formed, an enrolled site, a timestamp within
 * the window and a nonce this site has not used. Run before the hub reads a body, so a sender who
 * fails them never gets one buffered; `authenticateSite` repeats them with the signature.
 */
export async function checkSignedHeaders(
  ctx: HubContext,
  headers: Record<string, string | string[] | undefined>,
): Promise<SignedHeaders> {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const siteId = header(SIGNATURE_HEADERS.site);
  const timestamp = header(SIGNATURE_HEADERS.timestamp);
  const nonce = header(SIGNATURE_HEADERS.nonce);
  const signature = header(SIGNATURE_HEADERS.signature);
  if (!siteId || !timestamp || !nonce || !signature) {
    throw unauthorised(
      'unsigned',
      'This request is not signed by an enrolled site; enroll first (radfed site enroll) and send requests through RadFed.',
    );
  }
  if (!/^\d{1,16}$/.test(timestamp) || !/^[A-Za-z0-9_-]{16,64}$/.test(nonce) || signature.length > 200) {
    throw unauthorised(
      'bad-signature',
      'The request signature headers are malformed; update RadFed at the site.',
    );
  }
  const site = siteId.length <= 64 ? await ctx.store.sites.site(siteId) : undefined;
  if (!site || site.removed_at) {
    throw unauthorised(
      'unknown-site',
      'This site is not enrolled at this hub (or was removed); enroll it again with a new token.',
    );
  }
  const skew = Number(timestamp) - ctx.now();
  if (Math.abs(skew) > CLOCK_SKEW_MS) {
    const minutes = Math.round(Math.abs(skew) / 60_000);
    throw unauthorised(
      'clock-skew',
      `The site's clock differs from the hub's by ${minutes} min (it is ${skew > 0 ? 'ahead' : 'behind'}); ` +
        `requests are accepted within ±${CLOCK_SKEW_MS / 60_000} min. Set the site's clock (turn on NTP time sync) and try again.`,
    );
  }
  if (await ctx.store.sites.nonceSeen(site.id, nonce)) throw replayed();
  return { site, timestamp, nonce, signature };
}

export async function authenticateSite(ctx: HubContext, request: SignedRequest): Promise<SiteRow> {
  const signed = await checkSignedHeaders(ctx, request.headers);
  checkSignature(ctx, request, signed, bodyDigests.get(request.body) ?? sha256Hex(request.body));
  if (!(await ctx.store.sites.rememberNonce(signed.site.id, signed.nonce, ctx.now()))) throw replayed();
  return signed.site;
}

/**
 * The signature check alone, with the body's hash computed while it was read: the hub refuses a
 * body whose signature fails before handing it on (see server/body-admission.ts). The nonce is not
 * recorded here; `authenticateSite` does that when the route runs.
 */
export function checkSignature(
  ctx: HubContext,
  request: Omit<SignedRequest, 'body'>,
  signed: SignedHeaders,
  bodySha256: string,
): void {
  const valid = verifyRequestSignature(
    {
      method: request.method,
      path: request.url,
      bodySha256,
      timestamp: signed.timestamp,
      nonce: signed.nonce,
      siteId: signed.site.id,
    },
    signed.signature,
    importPublicKey(signed.site.signing_public_key, 'ed25519'),
  );
  if (!valid) {
    throw unauthorised(
      'bad-signature',
      "The request's signature does not verify with this site's key: it was altered on the way, or the site's keys changed. " +
        'If a proxy rewrites requests, ask IT to pass HTTPS to the hub untouched.',
    );
  }
}

/** SHA-256 of bodies hashed while they were read, so a 16 MiB chunk is not hashed twice. */
const bodyDigests = new WeakMap<Uint8Array, string>();

export function noteBodyDigest(body: Uint8Array, sha256: string): void {
  bodyDigests.set(body, sha256);
}

const replayed = () =>
  unauthorised(
    'replayed',
    'This exact request was already received (same nonce); it was not processed again.',
  );

/** Drops nonces older than any timestamp the hub would still accept. */
export function forgetOldNonces(ctx: HubContext): Promise<number> {
  return ctx.store.sites.forgetNoncesBefore(ctx.now() - 2 * CLOCK_SKEW_MS);
}
