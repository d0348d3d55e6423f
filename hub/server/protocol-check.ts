// The hub protocol's version at the hub's door: every answer carries the hub's version (the
// `radfed-protocol` header), and a /v1 request from a site the hub cannot serve is refused with 426
// and a sentence saying which side runs the older RadFed and what hospital IT should install, before
// its signature is checked or its body read. Without this an old site ignored what it did not know
// (a task's statisticsClipRange) and trained for the task anyway (shared/federation/protocol-version.ts).
import type { FastifyReply, FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify';
import {
  OLDEST_SITE_PROTOCOL,
  PROTOCOL_HEADER,
  PROTOCOL_VERSION,
  RADFED_RELEASE,
  readProtocolHeader,
  siteProtocolRefusal,
} from '../../shared/federation/index.ts';
import { HubError } from '../hub-errors.ts';
import type { HubApp } from './http-plumbing.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A /v1 route any client may call whatever protocol it speaks (hub info, the balancer's health check). */
    anyProtocol?: boolean;
  }
}

/** The protocol a hub speaks and the oldest site protocol it serves. */
export interface HubProtocol {
  readonly protocol: number;
  readonly oldestSite: number;
  readonly release: string;
}

/** This release's. Tests start a hub with a later one to rehearse an upgrade of the hub alone. */
export const THIS_RELEASE_PROTOCOL: HubProtocol = {
  protocol: PROTOCOL_VERSION,
  oldestSite: OLDEST_SITE_PROTOCOL,
  release: RADFED_RELEASE,
};

/**
 * Installs the version header on every answer and the check on every /v1 route not marked
 * `anyProtocol`. Call before any route is registered (and before admitBodies, so the check runs
 * ahead of the signature check: an old site is told why, not "unauthorised").
 *
 * A request without the header is refused on those routes, enrollment and its check included: every
 * site of this release sends it, so one without it is a site from before versions were checked (or
 * a hand-made request), and serving it is exactly the silent misreading this check exists to stop.
 * The public routes (GET /v1/hub, its health check) stay open to anyone, so a site of any release,
 * curl, or a load balancer can learn the hub's version; they change nothing.
 */
export function checkSiteProtocol(app: HubApp, protocol: HubProtocol = THIS_RELEASE_PROTOCOL): void {
  const version = String(protocol.protocol);
  app.addHook('onRequest', async (_request, reply) => {
    // Set before anything can fail, so refusals and errors carry it too.
    reply.header(PROTOCOL_HEADER, version);
  });
  const check = async (request: FastifyRequest, reply: FastifyReply) => {
    const refusal = siteProtocolRefusal(readProtocolHeader(request.headers[PROTOCOL_HEADER]), protocol);
    if (!refusal) return;
    // A 426 names what to switch to in Upgrade (RFC 9110 §15.5.22); the sentence says it in words. Its
    // body stays unread: the connection is closed after the answer, as for a refused signature.
    reply.header('upgrade', `RadFed-protocol/${version}`);
    if (request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined)
      reply.header('connection', 'close');
    throw new HubError(refusal.code, 426, refusal.message);
  };
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.url.startsWith('/v1/') || route.config?.anyProtocol === true) return;
    const hooks = route.onRequest
      ? Array.isArray(route.onRequest)
        ? route.onRequest
        : [route.onRequest]
      : [];
    route.onRequest = [check as onRequestHookHandler, ...(hooks as onRequestHookHandler[])];
  });
}
