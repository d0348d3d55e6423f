// The route of a homomorphic task's key. Thin like the others: authenticate, validate, call the
// service in hub/homomorphic, nudge the round on (it waits for the key before collecting). Encrypted
// updates use the ordinary upload routes; encrypted sums the ordinary model routes.
import type { FastifyReply, FastifyRequest, RequestPayload } from 'fastify';
import { z } from 'zod';
import { homomorphicKeyViewSchema } from '../../shared/federation/index.ts';
import { taskKeyMessageLimit } from '../../shared/node/homomorphic/index.ts';
import type { HubContext } from '../hub-context.ts';
import { tooLarge } from '../hub-errors.ts';
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

  // A key message carries one sealed copy of the key (about 40 KB) per joined site: a fixed 1 MiB
  // refused the key of a task with 26 or more sites. The route takes what a chunk may be; each
  // request at most what the task's joined sites can need, checked before a byte is read.
  const keyRoute = {
    bodyLimit: Math.max(ctx.limits.maxJsonBytes, ctx.limits.maxChunkBytes),
    preParsing: async (request: FastifyRequest, reply: FastifyReply, payload: RequestPayload) => {
      const declared = Number(request.headers['content-length'] ?? 0);
      const taskId = (request.params as { taskId?: unknown }).taskId;
      if (typeof taskId !== 'string' || !(declared > ctx.limits.maxJsonBytes)) return payload;
      const joined = (await ctx.store.sites.joinedSites(taskId)).length;
      const limit = taskKeyMessageLimit(joined);
      if (declared > limit) {
        reply.header('connection', 'close');
        throw tooLarge(
          'too-large',
          `A key message for this task's ${joined} joined sites is at most ${limit} bytes; this one declares ${declared}.`,
        );
      }
      return payload;
    },
  };

  app.put(path, keyRoute, async (request, reply) => {
    const who = await site(request);
    const { taskId } = parseWith(taskParams, request.params, 'path');
    const task = await taskForSite(ctx, taskId, who);
    await storeTaskKey(ctx, task, who, parseJsonBody(z.unknown(), rawBody(request)));
    nudge(task.id);
    return sendJson(reply, accepted, { ok: true });
  });
}
