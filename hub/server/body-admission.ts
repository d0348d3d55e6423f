// When the hub reads a request body, and how much it holds at once before the sender is proven.
// Every site route checks the signature headers (enrolled site, fresh timestamp, unused nonce) in
// onRequest, before any body byte is read: a stranger is answered 401 and the connection closed with
// its body unread. A body that passes takes room from the BodyBudget, is read into one buffer of its
// declared size, and its signature (which covers the body) is checked by the route as before.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify';
import type { HubContext } from '../hub-context.ts';
import { badRequest } from '../hub-errors.ts';
import { checkSignedHeaders } from '../request-auth.ts';
import { ANONYMOUS, BodyBudget, defaultBodyBudget, type BodyBudgetPolicy } from './body-budget.ts';
import { bodyTooLarge, DEFAULT_BODY_TIMEOUTS, readBody, type BodyTimeouts } from './body-reader.ts';
import type { HubApp } from './http-plumbing.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A /v1 route anyone may call (hub info, enrollment); every other /v1 route is signed. */
    unsigned?: boolean;
  }
}

export interface BodyAdmissionOptions {
  readonly budget?: Partial<BodyBudgetPolicy>;
  readonly timeouts?: Partial<BodyTimeouts>;
}

/**
 * Installs the header check on signed routes and the body parser for JSON and bytes. Call before
 * any route is registered: the check is attached to routes as they are added.
 */
export function admitBodies(app: HubApp, ctx: HubContext, options: BodyAdmissionOptions = {}): BodyBudget {
  const budget = new BodyBudget({ ...defaultBodyBudget(ctx.limits), ...options.budget });
  const timeouts = { ...DEFAULT_BODY_TIMEOUTS, ...options.timeouts };
  const senders = new WeakMap<IncomingMessage, string>();
  const responses = new WeakMap<IncomingMessage, ServerResponse>();

  const checkHeaders = async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      senders.set(request.raw, checkSignedHeaders(ctx, request.headers).site.id);
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
      let release: () => void;
      try {
        release = await budget.reserve(senders.get(request.raw) ?? ANONYMOUS, declared ?? limit, gone.signal);
      } finally {
        request.raw.off('close', abort);
      }
      const response = responses.get(request.raw);
      if (!response || response.destroyed || response.writableFinished) release();
      else response.once('close', release);
      return readBody(payload, { declared, limit }, timeouts);
    },
  );
  return budget;
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
