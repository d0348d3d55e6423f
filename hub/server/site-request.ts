// What every site route starts with: who is asking (the request's signature checked against the
// enrolled site's key, over the raw body), the task id in the path, and a nudge of the task's round
// after a change that may let it move on. One place, so every site route checks and nudges the same way.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { HubContext } from '../hub-context.ts';
import { authenticateSite } from '../request-auth.ts';
import type { SiteRow } from '../store/index.ts';
import { rawBody, type HubApp } from './http-plumbing.ts';

export const taskParams = z.object({ taskId: z.string().min(1).max(64) });

export interface SiteRequests {
  /** authenticateSiteRequest, bound to the hub. */
  site(request: FastifyRequest): Promise<SiteRow>;
  /** Moves the task's round on if it can, in the background; a failure is logged, never sent to the site. */
  nudge(taskId: string): void;
}

/** The site that signed this request, or the request is refused (401/403 from authenticateSite). */
export function authenticateSiteRequest(ctx: HubContext, request: FastifyRequest): Promise<SiteRow> {
  return authenticateSite(ctx, {
    method: request.method,
    url: request.url,
    headers: request.headers,
    body: rawBody(request),
  });
}

export function siteRequests(
  app: HubApp,
  ctx: HubContext,
  advanceTask: (taskId: string) => Promise<void>,
): SiteRequests {
  return {
    site: (request) => authenticateSiteRequest(ctx, request),
    nudge: (taskId) => {
      advanceTask(taskId).catch((error: Error) =>
        app.log.error({ err: error }, 'advancing the round failed'),
      );
    },
  };
}
