// POST /v1/heartbeat. Not marked unsigned, so the headers-first checks of body-admission.ts run before
// its body is read, like every other site route; the route then checks the signature over the body.
import { heartbeatRequestSchema, heartbeatResponseSchema, hubPaths } from '../../shared/federation/index.ts';
import type { HubContext } from '../hub-context.ts';
import { recordHeartbeat } from '../site-heartbeat.ts';
import { parseJsonBody, rawBody, sendJson, type HubApp } from './http-plumbing.ts';
import { authenticateSiteRequest } from './site-request.ts';

export function registerHeartbeatRoute(app: HubApp, ctx: HubContext): void {
  app.post(hubPaths.heartbeat, async (request, reply) => {
    const site = await authenticateSiteRequest(ctx, request);
    const heartbeat = parseJsonBody(heartbeatRequestSchema, rawBody(request));
    return sendJson(reply, heartbeatResponseSchema, await recordHeartbeat(ctx, site, heartbeat));
  });
}
