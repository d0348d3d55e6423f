// The dashboard's pages behind the sign-in: overview, sites, enrollment tokens (list and make), tasks,
// one task, and model downloads. Each reads the store through dashboard-data and renders HTML.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { siteNameSchema } from '../../shared/federation/index.ts';
import { createEnrollmentToken } from '../enrollment.ts';
import type { HubContext } from '../hub-context.ts';
import { HubError } from '../hub-errors.ts';
import { findTask } from '../tasks.ts';
import { formOf, type DashboardAuth } from './dashboard-auth.ts';
import { pageSender } from './page-sender.ts';
import { hubSummary, siteSummaries, taskDetail, taskSummaries, tokenSummaries } from './dashboard-data.ts';
import { exportModelFiles, MODEL_FILES, modelFolderName, tarArchive } from './model-download.ts';
import { DASHBOARD_PREFIX } from './views/layout.ts';
import { overviewContent, sitesContent } from './views/sites-view.ts';
import { taskContent } from './views/task-view.ts';
import { tasksContent } from './views/tasks-view.ts';
import { TOKEN_LIFETIMES, tokensContent } from './views/tokens-view.ts';

const taskParams = z.object({ taskId: z.string().min(1).max(64) });
const modelParams = taskParams.extend({
  version: z.coerce.number().int().min(0),
  file: z.enum([...MODEL_FILES, 'tfjs.tar']),
});

export function registerPageRoutes(scope: FastifyInstance, ctx: HubContext, auth: DashboardAuth): void {
  const send = pageSender(ctx, auth);

  scope.get('/', async (request, reply) =>
    send(request, reply, {
      title: 'Overview',
      current: 'overview',
      content: overviewContent(
        await hubSummary(ctx),
        await siteSummaries(ctx),
        await taskSummaries(ctx),
        ctx.now(),
      ),
    }),
  );

  /** The sentence an action left for the next page, shown once. */
  const notice = async (request: FastifyRequest): Promise<string | undefined> =>
    (await auth.takeCarried(request, ['notice'])).notice;

  scope.get('/sites', async (request, reply) =>
    send(request, reply, {
      title: 'Sites',
      current: 'sites',
      content: sitesContent(
        await hubSummary(ctx),
        await siteSummaries(ctx),
        ctx.now(),
        await notice(request),
      ),
    }),
  );

  const tokensPage = async (request: FastifyRequest, reply: FastifyReply, error?: string) => {
    const tokens = await tokenSummaries(ctx);
    const session = auth.sessionOf(request);
    const { flash: created, notice: shown } = await auth.takeCarried(request, ['flash', 'notice']);
    return send(
      request,
      reply,
      {
        title: 'Enrollment tokens',
        current: 'tokens',
        content: tokensContent({
          tokens,
          csrfToken: session.csrfToken,
          defaultHubUrl: defaultHubUrl(ctx, request),
          now: ctx.now(),
          ...(created ? { created } : {}),
          ...(error ? { error } : {}),
          ...(shown ? { notice: shown } : {}),
        }),
      },
      error ? 400 : 200,
    );
  };

  scope.get('/tokens', (request, reply) => tokensPage(request, reply));

  scope.post('/tokens', async (request, reply) => {
    const form = formOf(request);
    const lifetime = TOKEN_LIFETIMES.find((option) => option.value === form.expires);
    if (!lifetime) return tokensPage(request, reply, 'Choose how long the token stays valid.');
    const rawName = (form.siteName ?? '').trim();
    const siteName = rawName ? siteNameSchema.safeParse(rawName) : null;
    if (siteName && !siteName.success) {
      return tokensPage(
        request,
        reply,
        // The one name rule's own sentence (shared/site-name.ts), as the site's wizard shows it.
        siteName.error.issues[0]?.message ?? 'That site name cannot be used.',
      );
    }
    const hubUrl = parseHubUrl(form.hubUrl ?? '');
    if (!hubUrl) {
      return tokensPage(
        request,
        reply,
        'The hub address must be an https:// address with a host name and port, e.g. https://hub.example.org:8443.',
      );
    }
    const created = await createEnrollmentToken(ctx, {
      hubUrl,
      expiresInMs: lifetime.ms,
      ...(siteName?.success ? { siteName: siteName.data } : {}),
    });
    const session = auth.sessionOf(request);
    await auth.leaveFlash(request, {
      token: created.token,
      siteName: created.siteName,
      expiresAt: created.expiresAt,
    });
    request.log.info({ coordinator: session.user, token: created.tokenId }, 'enrollment token made');
    return reply.redirect(`${DASHBOARD_PREFIX}/tokens`, 303);
  });

  scope.get('/tasks', async (request, reply) =>
    send(request, reply, {
      title: 'Tasks',
      current: 'tasks',
      content: tasksContent(await taskSummaries(ctx), await notice(request)),
    }),
  );

  scope.get('/tasks/:taskId', async (request, reply) => {
    const { taskId } = parse(taskParams, request.params);
    const detail = await taskDetail(ctx, taskId);
    return send(request, reply, {
      title: `Task ${detail.summary.name}`,
      current: 'tasks',
      content: taskContent(detail, ctx.now(), await notice(request)),
      charts: true,
    });
  });

  scope.get('/tasks/:taskId/models/:version/:file', async (request, reply) => {
    const { taskId, version, file } = parse(modelParams, request.params);
    const task = await findTask(ctx, taskId);
    const exported = await exportModelFiles(ctx, task.id, version);
    const folder = modelFolderName((await taskDetail(ctx, task.id)).summary.name, exported.version);
    const session = auth.sessionOf(request);
    request.log.info({ coordinator: session.user, task: task.id, version, file }, 'model downloaded');
    if (file === 'tfjs.tar') {
      return reply
        .type('application/x-tar')
        .header('content-disposition', `attachment; filename="${folder}.tar"`)
        .send(tarArchive(folder, exported.files, new Date(ctx.now())));
    }
    const body = exported.files.get(file);
    if (!body) throw new HubError('no-file', 404, `The export of this model has no ${file}.`);
    return reply
      .type(file.endsWith('.json') ? 'application/json' : 'application/octet-stream')
      .header('content-disposition', `attachment; filename="${folder}-${file}"`)
      .send(body);
  });
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new HubError('not-found', 404, 'There is no such page on this dashboard.');
  return parsed.data;
}

/** The address in the hub's certificate and the port this request reached, as sites would dial it. */
function defaultHubUrl(ctx: HubContext, request: FastifyRequest): string {
  const host = ctx.config.hosts[0] ?? 'localhost';
  const port = request.socket.localPort ?? ctx.config.port;
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function parseHubUrl(value: string): string | null {
  try {
    const url = new URL(value.trim());
    if (url.protocol !== 'https:' || !url.hostname || url.username || url.password) return null;
    if (url.pathname !== '/' || url.search || url.hash) return null;
    return url.origin;
  } catch {
    return null;
  }
}
