// The routes of secure aggregation (SecAgg+). Thin like the others: authenticate, validate, call the
// service in hub/secagg, nudge the round on. The masked input itself uses the upload routes.
import { z } from 'zod';
import {
  advertiseKeysRequestSchema,
  secaggViewSchema,
  sharesRequestSchema,
  unmaskRequestSchema,
} from '../../shared/federation/index.ts';
import type { HubContext } from '../hub-context.ts';
import { advertiseKeys, postShares, revealShares, secaggView } from '../secagg/index.ts';
import { taskForSite } from '../tasks.ts';
import { parseJsonBody, parseWith, rawBody, sendJson, type HubApp } from './http-plumbing.ts';
import { siteRequests, taskParams } from './site-request.ts';

const roundParams = taskParams.extend({
  round: z.coerce.number().int().min(1),
});
const accepted = z.object({ ok: z.literal(true) });

export function registerSecAggRoutes(
  app: HubApp,
  ctx: HubContext,
  advanceTask: (taskId: string) => Promise<void>,
): void {
  const { site, nudge } = siteRequests(app, ctx, advanceTask);
  const prefix = '/v1/tasks/:taskId/rounds/:round/secagg';

  app.get(prefix, async (request, reply) => {
    const who = await site(request);
    const { taskId, round } = parseWith(roundParams, request.params, 'path');
    return sendJson(
      reply,
      secaggViewSchema,
      await secaggView(ctx, await taskForSite(ctx, taskId, who), round, who),
    );
  });

  app.post(`${prefix}/keys`, async (request, reply) => {
    const who = await site(request);
    const { taskId, round } = parseWith(roundParams, request.params, 'path');
    const body = parseJsonBody(advertiseKeysRequestSchema, rawBody(request));
    const task = await taskForSite(ctx, taskId, who);
    await advertiseKeys(ctx, task, round, who, body);
    nudge(task.id);
    return sendJson(reply, accepted, { ok: true });
  });

  app.post(`${prefix}/shares`, async (request, reply) => {
    const who = await site(request);
    const { taskId, round } = parseWith(roundParams, request.params, 'path');
    const body = parseJsonBody(sharesRequestSchema, rawBody(request));
    const task = await taskForSite(ctx, taskId, who);
    await postShares(ctx, task, round, who, body);
    nudge(task.id);
    return sendJson(reply, accepted, { ok: true });
  });

  app.post(`${prefix}/unmask`, async (request, reply) => {
    const who = await site(request);
    const { taskId, round } = parseWith(roundParams, request.params, 'path');
    const body = parseJsonBody(unmaskRequestSchema, rawBody(request));
    const task = await taskForSite(ctx, taskId, who);
    await revealShares(ctx, task, round, who, body);
    nudge(task.id);
    return sendJson(reply, accepted, { ok: true });
  });
}
