// When the hub reads a request body, and how much it holds at once before the sender is proven.
// Every site route checks the signature headers (enrolled site, fresh timestamp, unused nonce) in
// onRequest, before any body byte is read: a stranger is answered 401 and the connection closed with
// its body unread. A body that passes takes room from the BodyBudget and is read into a reused slab
// while it is hashed; its signature (which covers the body) is checked there, so a junk signature is
// refused leaving no garbage, and only a verified body is copied out for the route (which checks it
// again, with the hash, and records the nonce).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify';
import type { HubContext } from '../hub-context.ts';
import { badRequest, HubError } from '../hub-errors.ts';
import { checkSignature, checkSignedHeaders, noteBodyDigest, type SignedHeaders } from '../request-auth.ts';
import { ANONYMOUS, BodyBudget, defaultBodyBudget, type BodyBudgetPolicy } from './body-budget.ts';
import {
  bodyTooLarge,
  DEFAULT_BODY_TIMEOUTS,
  readBodyInto,
  type BodyRead,
  type BodyTimeouts,
} from './body-reader.ts';
import { BodySlabs } from './body-slabs.ts';
import { BodySpool } from './body-spool.ts';
import { senderMachine } from './sender-machine.ts';
import type { HubApp } from './http-plumbing.ts';

/** Bodies larger than this (upload chunks) are received into a file, not memory, until verified. */
const SPOOL_ABOVE = 1024 * 1024;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A /v1 route anyone may call (hub info, enrollment); every other /v1 route is signed. */
    unsigned?: boolean;
  }
}

export interface BodyAdmissionOptions {
  readonly budget?: Partial<BodyBudgetPolicy>;
  readonly timeouts?: Partial<BodyTimeouts>;
  /** After a body whose signature fails, how long that site's bodies are refused unread (default 30 s). */
  readonly forgeryCooldownMs?: number;
}

/**
 * Installs the header check on signed routes and the body parser for JSON and bytes. Call before
 * any route is registered: the check is attached to routes as they are added.
 */
export function admitBodies(app: HubApp, ctx: HubContext, options: BodyAdmissionOptions = {}): BodyBudget {
  const budget = new BodyBudget({ ...defaultBodyBudget(ctx.limits), ...options.budget });
  const timeouts = { ...DEFAULT_BODY_TIMEOUTS, ...options.timeouts };
  // Idle slabs kept for reuse (bodies up to SPOOL_ABOVE); larger bodies are received into files.
  const slabs = new BodySlabs(2 * ctx.limits.maxJsonBytes);
  const spool = new BodySpool(ctx.layout.uploads);
  const senders = new WeakMap<IncomingMessage, SignedHeaders>();
  const responses = new WeakMap<IncomingMessage, ServerResponse>();
  // A genuine site hardly ever sends a bad signature (a site whose keys changed enrolls again), so
  // after a large body (an upload chunk) with one, the large bodies naming that site from that machine
  // are refused unread for a while: whoever knows a site's id but not its key gets one chunk read per
  // cooldown, not one after another. Keyed by machine too (siteOnMachine): keyed by the site alone, a
  // neighbour that learnt its id kept the site's own chunks refused with one forgery every 30 s
  // (forgeries-from-another-machine.spec.ts). Small requests go on (JSON calls cost little).
  const cooldownMs = options.forgeryCooldownMs ?? 30_000;
  const forgedUntil = new Map<string, number>();
  const noteForgery = (key: string) => {
    // Expired entries go once there are many, so forgeries from many machines cannot grow the map.
    if (forgedUntil.size >= 1024)
      for (const [old, until] of forgedUntil) if (until <= ctx.now()) forgedUntil.delete(old);
    forgedUntil.set(key, ctx.now() + cooldownMs);
  };
  const refuseIfForged = (key: string, retryAfter: (seconds: string) => void) => {
    const until = forgedUntil.get(key) ?? 0;
    if (until <= ctx.now()) {
      forgedUntil.delete(key);
      return;
    }
    retryAfter(String(Math.ceil((until - ctx.now()) / 1000)));
    throw new HubError(
      'signature-cooldown',
      429,
      "A request naming this site from this machine carried a signature that does not verify, so the hub takes no large request bodies for this site from here for a short while; try again then. If the site's keys changed, enroll it again.",
    );
  };

  const checkHeaders = async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      const signed = await checkSignedHeaders(ctx, request.headers);
      if (largeBody(request)) {
        refuseIfForged(siteOnMachine(signed.site.id, request), (s) => {
          reply.header('retry-after', s); // a FastifyReply is thenable: return nothing
        });
      }
      senders.set(request.raw, signed);
    } catch (error) {
      // The body stays unread: closing the connection after the answer is cheaper than draining it.
      if (hasBody(request.headers)) reply.header('connection', 'close');
      throw error;
    }
  };
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.url.startsWith('/v1/') || route.config?.unsigned === true) return;
    route.onRequest = [...hooksOf(route.onRequest), checkHeaders as onRequestHookHandler];
  });
  app.addHook('onRequest', async (request, reply) => {
    responses.set(request.raw, reply.raw);
  });

  /** A body read and hashed, still where it was received: in a slab (small) or a file (large). */
  const receive = async (payload: IncomingMessage, size: { declared: number | undefined; limit: number }) => {
    const capacity = size.declared ?? size.limit;
    if (capacity > SPOOL_ABOVE) {
      const spooled = await spool.receive(payload, size, timeouts);
      return { ...spooled, take: () => spool.take(spooled.path), drop: () => void spool.drop(spooled.path) };
    }
    const slab = slabs.take(capacity);
    let read: BodyRead;
    try {
      read = await readBodyInto(payload, slab, size, timeouts);
    } catch (error) {
      slabs.give(slab);
      throw error;
    }
    return {
      ...read,
      // Copied out only once verified: a refused body leaves no garbage behind, only the slab to reuse.
      take: () => {
        const copy = Buffer.from(slab.subarray(0, read.length));
        slabs.give(slab);
        return Promise.resolve(copy);
      },
      drop: () => slabs.give(slab),
    };
  };

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['application/json', 'application/octet-stream'],
    async (request: FastifyRequest, payload: IncomingMessage) => {
      const limit = request.routeOptions.bodyLimit ?? ctx.limits.maxJsonBytes;
      const declared = declaredLength(request.headers['content-length']);
      if (declared !== undefined && declared > limit) throw bodyTooLarge(limit);
      const gone = new AbortController();
      const abort = () => gone.abort();
      request.raw.once('close', abort);
      const signed = senders.get(request.raw);
      // The body's room is charged to the site on the machine that sends it: a body naming a site
      // from elsewhere may be a forgery, and must not take the room of the site's own requests.
      const sender = signed ? siteOnMachine(signed.site.id, request) : null;
      let release: () => void;
      try {
        release = await budget.reserve(sender ?? ANONYMOUS, declared ?? limit, gone.signal);
      } finally {
        request.raw.off('close', abort);
      }
      const response = responses.get(request.raw);
      if (!response || response.destroyed || response.writableFinished) release();
      else response.once('close', release);
      // Admitted before another body of this site failed its signature: refused now, still unread.
      const large = (declared ?? limit) > SPOOL_ABOVE;
      if (sender && large) refuseIfForged(sender, (s) => response?.setHeader('retry-after', s));
      const read = await receive(payload, { declared, limit });
      if (signed) {
        try {
          checkSignature(ctx, request, signed, read.sha256);
        } catch (error) {
          if (large && sender) noteForgery(sender);
          read.drop();
          throw error;
        }
      }
      const body = await read.take();
      noteBodyDigest(body, read.sha256);
      return body;
    },
  );

  return budget;
}

/** A body that may be larger than SPOOL_ABOVE: declared so, or chunked on a route that takes that much. */
function largeBody(request: FastifyRequest): boolean {
  const declared = request.headers['content-length'];
  if (declared !== undefined) return Number(declared) > SPOOL_ABOVE;
  return request.headers['transfer-encoding'] !== undefined && request.routeOptions.bodyLimit > SPOOL_ABOVE;
}

function hasBody(headers: FastifyRequest['headers']): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function declaredLength(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const length = Number(header);
  if (!Number.isSafeInteger(length) || length < 0) {
    throw badRequest('bad-length', 'The Content-Length header is not a byte count.');
  }
  return length;
}

function hooksOf(hooks: RouteOptions['onRequest']): onRequestHookHandler[] {
  if (!hooks) return [];
  return (Array.isArray(hooks) ? hooks : [hooks]) as onRequestHookHandler[];
}

/**
 * Who sends a body before its signature is checked: the site it names, on the machine it comes from
 * (sender-machine.ts). Whoever knows a site's id can name it, so what the hub spends on unverified
 * bodies (their room, the cooldown after a forgery) is counted per site and machine, never against
 * the site wherever it is.
 */
function siteOnMachine(siteId: string, request: FastifyRequest): string {
  return `${siteId} ${senderMachine(request.ip)}`;
}
