// The route of a homomorphic task's key. Thin like the others: authenticate, validate, call the
// service in hub/homomorphic, nudge the round on (it waits for the key before collecting). Encrypted
// updates use the ordinary upload routes; encrypted sums the ordinary model routes.
import { z } from 'zod';
import { homomorphicKeyViewSchema } from '../../shared/federation/index.ts';
import type { HubContext } from '../hub-context.ts';
import { storeTaskKey, taskKeyView } from '../homomorphic/index.ts';
import { taskForSite } from '../tasks.ts';
import { parseJsonBody, parseWith, rawBody, sendJson, type HubApp } from './http-plumbing.ts';
import { siteRequests, taskParams } from './site-request.ts';

const accepted = z.object({ ok: z.literal(true) });

export function registerHomomorphicRoutes(
  app: HubApp,
  ctx: HubContext,
  advanceTask: (taskId: string) => Promise<void>,
): void {
  const { site, nudge } = siteRequests(app, ctx, advanceTask);
  const path = '/v1/tasks/:taskId/homomorphic/key';

  app.get(path, async (request, reply) => {
    const who = await site(request);
    const { taskId } = parseWith(taskParams, request.params, 'path');
    return sendJson(
      reply,
      homomorphicKeyViewSchema,
      await taskKeyView(ctx, await taskForSite(ctx, taskId, who), who),
    );
  });

  app.put(path, async (request, reply) => {
    const who = await site(request);
    const { taskId } = parseWith(taskParams, request.params, 'path');
    const task = await taskForSite(ctx, taskId, who);
    await storeTaskKey(ctx, task, who, parseJsonBody(z.unknown(), rawBody(request)));
    nudge(task.id);
    return sendJson(reply, accepted, { ok: true });
  });
}
