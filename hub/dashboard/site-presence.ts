// "Last seen" for the sites page. The site API authenticates every request except GET /v1/hub and
// POST /v1/enroll before doing anything else, so a request to any other site route that was answered
// below 400 came from the site its x-radfed-site header names. This hook only observes answers; it
// never changes one. Writes are thinned to one per site every 30 s (uploads send many chunks).
import { SIGNATURE_HEADERS } from '../../shared/node/federation/index.ts';
import { isoAt, type HubContext } from '../hub-context.ts';
import type { HubApp } from '../server/http-plumbing.ts';

const UNSIGNED_ROUTES = new Set(['/v1/hub', '/v1/enroll']);
const WRITE_EVERY_MS = 30_000;

export function trackSitePresence(app: HubApp, ctx: HubContext): void {
  const written = new Map<string, number>();
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    if (!route?.startsWith('/v1/') || UNSIGNED_ROUTES.has(route) || reply.statusCode >= 400) return;
    const header = request.headers[SIGNATURE_HEADERS.site];
    const siteId = Array.isArray(header) ? header[0] : header;
    if (!siteId) return;
    const now = ctx.now();
    if (now - (written.get(siteId) ?? -Infinity) < WRITE_EVERY_MS) return;
    written.set(siteId, now);
    try {
      await ctx.store.sites.touchSite(siteId, isoAt(ctx));
    } catch (error) {
      request.log.warn({ err: error }, 'could not record when a site was last seen');
    }
  });
}
