// The routes sites call. Each is thin: authenticate, validate, call a service, validate the answer.
// A site sees the tasks that include it, their rounds and global models, and its own uploads and
// submissions; anything else is "not found" to it.
import { taskChannel } from '../hub-events.ts';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  aggregatedMetricsSchema,
  completeUploadRequestSchema,
  createUploadRequestSchema,
  enrollCheckRequestSchema,
  enrollCheckResponseSchema,
  enrollRequestSchema,
  enrollResponseSchema,
  hubInfoSchema,
  joinRequestSchema,
  joinResponseSchema,
  metricsRequestSchema,
  modelMetaSchema,
  roundViewSchema,
  submissionListSchema,
  submissionViewSchema,
  taskListSchema,
  taskViewSchema,
  uploadStatusSchema,
} from '../../shared/federation/index.ts';
import { checkEnrollmentToken, enrollSite } from '../enrollment.ts';
import type { HubContext } from '../hub-context.ts';
import { badRequest, forbidden, notFound, unprocessable } from '../hub-errors.ts';
import { findModel, modelMeta, recordEvaluation } from '../model-registry.ts';
import { authenticateSite } from '../request-auth.ts';
import { roundView } from '../round-view.ts';
import type { SiteRow } from '../store/index.ts';
import { joinTask, taskForSite, tasksForSite, taskView } from '../tasks.ts';
import {
  completeUpload,
  createUpload,
  ownUpload,
  putChunk,
  submissionView,
  uploadStatus,
} from '../uploads.ts';
import { hubInfo } from '../setup/index.ts';
import { parseJsonBody, parseWith, rawBody, sendJson, type HubApp } from './http-plumbing.ts';
import { THIS_RELEASE_PROTOCOL, type HubProtocol } from './protocol-check.ts';

const taskParams = z.object({ taskId: z.string().min(1).max(64) });
const versionParams = taskParams.extend({
  version: z.union([z.literal('latest'), z.coerce.number().int().min(0)]),
});
const uploadParams = z.object({ uploadId: z.string().min(1).max(64) });
const chunkParams = uploadParams.extend({ index: z.coerce.number().int().min(0) });
// The routes anyone may call take what an enrollment carries (a token, a name, two keys: under 1 KiB),
// not the 1 MiB of a signed JSON call: their bodies share one room (body-budget.ts), and four slow
// 1 MiB bodies from a stranger held it all, turning hospitals' enrollments away (stranger-bodies.spec.ts).
const UNSIGNED_BODY_BYTES = 16 * 1024;
const anyoneMayCall = { config: { unsigned: true }, bodyLimit: UNSIGNED_BODY_BYTES } as const;
// The long-poll's parameters, as the site client sends them and docs/protocol.md names them. Strict,
// so a misspelt one (`waitSeconds`) is refused with its name instead of silently answering at once.
const roundQuery = z
  .object({
    after: z.string().max(200).optional(),
    wait: z.coerce.number().int().min(0).max(60).default(0),
  })
  .strict();

export function registerSiteRoutes(
  app: HubApp,
  ctx: HubContext,
  closing: AbortSignal,
  advanceTask: (taskId: string) => Promise<void>,
  protocol: HubProtocol = THIS_RELEASE_PROTOCOL,
): void {
  const site = (request: FastifyRequest): Promise<SiteRow> =>
    authenticateSite(ctx, {
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: rawBody(request),
    });
  const nudge = (taskId: string) => {
    advanceTask(taskId).catch((error: Error) => app.log.error({ err: error }, 'advancing the round failed'));
  };

  // The routes anyone may call; every other /v1 route is checked as signed before its body is read.
  // The hub's info is open to any protocol too (protocol-check.ts): it is where a site reads the version.
  app.get('/v1/hub', { config: { unsigned: true, anyProtocol: true } }, (_request, reply) =>
    sendJson(reply, hubInfoSchema, {
      ...hubInfo(ctx.keys, ctx.config.name, ctx.now()),
      protocol: protocol.protocol,
    }),
  );

  app.post('/v1/enroll', anyoneMayCall, async (request, reply) => {
    const body = parseJsonBody(enrollRequestSchema, rawBody(request));
    return sendJson(reply, enrollResponseSchema, await enrollSite(ctx, body), 201);
  });

  app.post('/v1/enroll/check', anyoneMayCall, async (request, reply) => {
    const body = parseJsonBody(enrollCheckRequestSchema, rawBody(request));
    return sendJson(reply, enrollCheckResponseSchema, await checkEnrollmentToken(ctx, body));
  });

  app.get('/v1/tasks', async (request, reply) =>
    sendJson(reply, taskListSchema, { tasks: await tasksForSite(ctx, await site(request)) }),
  );

  app.get('/v1/tasks/:taskId', async (request, reply) => {
    const who = await site(request);
    const { taskId } = parseWith(taskParams, request.params, 'path');
    return sendJson(reply, taskViewSchema, await taskView(ctx, await taskForSite(ctx, taskId, who), who));
  });

  app.post('/v1/tasks/:taskId/join', async (request, reply) => {
    const who = await site(request);
    const { taskId } = parseWith(taskParams, request.params, 'path');
    const joined = await joinTask(ctx, taskId, who, parseJsonBody(joinRequestSchema, rawBody(request)));
    nudge(joined.taskId);
    return sendJson(reply, joinResponseSchema, joined);
  });

  app.get('/v1/tasks/:taskId/round', async (request, reply) => {
    const who = await site(request);
    const { taskId } = parseWith(taskParams, request.params, 'path');
    const { after, wait } = parseWith(roundQuery, request.query, 'query');
    let view = await roundView(ctx, await taskForSite(ctx, taskId, who), who);
    const until = ctx.now() + wait * 1000;
    while (after !== undefined && view.revision === after && ctx.now() < until && !closing.aborted) {
      await taskChanged(ctx, taskId, until - ctx.now(), closing);
      view = await roundView(ctx, await taskForSite(ctx, taskId, who), who);
    }
    return sendJson(reply, roundViewSchema, view);
  });

  app.get('/v1/tasks/:taskId/models/:version', async (request, reply) => {
    const who = await site(request);
    const { taskId, version } = parseWith(versionParams, request.params, 'path');
    const task = await taskForSite(ctx, taskId, who);
    return sendJson(reply, modelMetaSchema, await modelMeta(ctx, await findModel(ctx, task.id, version)));
  });

  app.get('/v1/tasks/:taskId/models/:version/blob', async (request, reply) => {
    const who = await site(request);
    const { taskId, version } = parseWith(versionParams, request.params, 'path');
    const model = await findModel(ctx, (await taskForSite(ctx, taskId, who)).id, version);
    const range = parseRange(request.headers.range, model.bytes);
    // Streamed from the blob store (a folder or PostgreSQL), never whole in memory; a missing blob is
    // refused here, before any header goes out.
    const stream = await ctx.store.blobs.openReadStream(model.blob_sha256, range ?? undefined);
    reply.header('accept-ranges', 'bytes').type('application/octet-stream');
    if (!range) return reply.header('content-length', model.bytes).send(stream);
    return reply
      .code(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${model.bytes}`)
      .header('content-length', range.end - range.start + 1)
      .send(stream);
  });

  app.post('/v1/tasks/:taskId/models/:version/metrics', async (request, reply) => {
    const who = await site(request);
    const { taskId, version } = parseWith(versionParams, request.params, 'path');
    const metrics = parseJsonBody(metricsRequestSchema, rawBody(request));
    const task = await taskForSite(ctx, taskId, who);
    if (!(await ctx.store.sites.hasJoined(task.id, who.id))) {
      throw forbidden(
        'not-joined',
        `This site has not joined task ${task.id}; it cannot report metrics for it.`,
      );
    }
    return sendJson(
      reply,
      aggregatedMetricsSchema,
      await recordEvaluation(ctx, who.id, await findModel(ctx, task.id, version), metrics),
    );
  });

  app.post('/v1/tasks/:taskId/uploads', async (request, reply) => {
    const who = await site(request);
    const { taskId } = parseWith(taskParams, request.params, 'path');
    const body = parseJsonBody(createUploadRequestSchema, rawBody(request));
    return sendJson(reply, uploadStatusSchema, await createUpload(ctx, who, taskId, body), 201);
  });

  app.get('/v1/uploads/:uploadId', async (request, reply) => {
    const who = await site(request);
    const { uploadId } = parseWith(uploadParams, request.params, 'path');
    return sendJson(reply, uploadStatusSchema, uploadStatus(await ownUpload(ctx, who, uploadId)));
  });

  app.put(
    '/v1/uploads/:uploadId/chunks/:index',
    { bodyLimit: ctx.limits.maxChunkBytes },
    async (request, reply) => {
      const who = await site(request);
      const { uploadId, index } = parseWith(chunkParams, request.params, 'path');
      return sendJson(reply, uploadStatusSchema, await putChunk(ctx, who, uploadId, index, rawBody(request)));
    },
  );

  app.post('/v1/uploads/:uploadId/complete', async (request, reply) => {
    const who = await site(request);
    const { uploadId } = parseWith(uploadParams, request.params, 'path');
    const body = parseJsonBody(completeUploadRequestSchema, rawBody(request));
    const submission = await completeUpload(ctx, who, uploadId, body);
    nudge(submission.task_id);
    if (submission.state === 'rejected')
      throw unprocessable('update-rejected', submission.reason ?? 'The update was rejected.');
    return sendJson(reply, submissionViewSchema, submissionView(submission));
  });

  app.get('/v1/tasks/:taskId/submissions', async (request, reply) => {
    const who = await site(request);
    const { taskId } = parseWith(taskParams, request.params, 'path');
    const task = await taskForSite(ctx, taskId, who);
    const submissions = (await ctx.store.uploads.submissionsOfSite(task.id, who.id)).map(submissionView);
    return sendJson(reply, submissionListSchema, { submissions });
  });

  app.get('/v1/submissions/:submissionId', async (request, reply) => {
    const who = await site(request);
    const { submissionId } = parseWith(
      z.object({ submissionId: z.string().min(1).max(64) }),
      request.params,
      'path',
    );
    const row = await ctx.store.uploads.submission(submissionId);
    // Another site's submission is reported as absent: a site learns nothing about the others.
    if (!row || row.site_id !== who.id)
      throw notFound('no-submission', `There is no submission ${submissionId} for this site.`);
    return sendJson(reply, submissionViewSchema, submissionView(row));
  });
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | null {
  if (!header) return null;
  const match = /^bytes=(\d+)-(\d*)$/.exec(header.trim());
  if (!match) throw badRequest('bad-range', 'Only one byte range (bytes=start-end) is supported.');
  const start = Number(match[1]);
  const end = match[2] ? Math.min(Number(match[2]), size - 1) : size - 1;
  if (start >= size || end < start)
    throw badRequest('bad-range', `The range starts past the end of the ${size}-byte model.`);
  return { start, end };
}

function taskChanged(
  ctx: HubContext,
  taskId: string,
  timeoutMs: number,
  closing: AbortSignal,
): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      closing.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, timeoutMs));
    const unsubscribe = ctx.events.subscribe(taskChannel(taskId), done);
    closing.addEventListener('abort', done);
  });
}
