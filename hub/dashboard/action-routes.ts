// What a coordinator can do from the dashboard besides making tokens: create a task (the checks of
// `radfed hub task create`), stop one, revoke an unused token, remove a site. Every route sits behind
// the guard (a live session; on POST the session's CSRF token and a same-origin request), and every
// action is logged with the coordinator's name and what it acted on.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { removeSite, revokeEnrollmentToken } from '../enrollment.ts';
import type { HubContext } from '../hub-context.ts';
import { HubError } from '../hub-errors.ts';
import { checkTaskDefinition } from '../task-checks.ts';
import { createTask, definitionOf, findTask, stopTask } from '../tasks.ts';
import { formOf, type DashboardAuth } from './dashboard-auth.ts';
import { pageSender } from './page-sender.ts';
import { createdTaskNotice } from './task-created.ts';
import { definitionFromForm, FORM_DEFAULTS, leavesNoiseToHub, problemsByField } from './task-form.ts';
import { confirmContent } from './views/confirm-view.ts';
import { DASHBOARD_PREFIX } from './views/layout.ts';
import { taskFormContent } from './views/task-form-view.ts';
import { taskHref } from './views/tasks-view.ts';

const idParams = (key: string) => z.object({ [key]: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });

export function registerActionRoutes(scope: FastifyInstance, ctx: HubContext, auth: DashboardAuth): void {
  const send = pageSender(ctx, auth);
  /** Says what was done on the next page, logs it, and goes there (POST, then redirect, then GET). */
  const done = async (
    request: FastifyRequest,
    reply: FastifyReply,
    target: string,
    notice: string,
    log: Record<string, unknown>,
    message: string,
  ) => {
    const session = auth.sessionOf(request);
    await auth.leaveNotice(request, notice);
    request.log.info({ coordinator: session.user, ...log }, message);
    return reply.redirect(target, 303);
  };
  const param = (request: FastifyRequest, key: string): string => {
    const parsed = idParams(key).safeParse(request.params);
    if (!parsed.success) throw new HubError('not-found', 404, 'There is no such page on this dashboard.');
    return parsed.data[key] as string;
  };

  scope.get('/tasks/new', (request, reply) =>
    send(request, reply, {
      title: 'New task',
      current: 'tasks',
      content: taskFormContent({
        values: FORM_DEFAULTS,
        csrfToken: auth.sessionOf(request).csrfToken,
        problems: new Map(),
        warnings: [],
      }),
    }),
  );

  scope.post('/tasks/new', async (request, reply) => {
    const form = formOf(request);
    const checked = checkTaskDefinition(definitionFromForm(form));
    const calibrated = checked.ok && leavesNoiseToHub(form);
    const again = (problems: Map<string, string[]>, warnings: string[], status: number) =>
      send(
        request,
        reply,
        {
          title: 'New task',
          current: 'tasks',
          content: taskFormContent({
            values: form,
            csrfToken: auth.sessionOf(request).csrfToken,
            problems,
            warnings,
            calibratedNoise: calibrated
              ? checked.definition.privacy.differentialPrivacy?.noiseMultiplier
              : null,
          }),
        },
        status,
      );
    if (!checked.ok) return again(problemsByField(checked.problems, form), [], 400);
    if (checked.warnings.length > 0 && form.confirmWarnings !== 'on') {
      return again(new Map(), checked.warnings, 409);
    }
    const task = await createTask(ctx, checked.definition);
    return done(
      request,
      reply,
      taskHref(task.id),
      createdTaskNotice(task.name, checked.definition, calibrated),
      { task: task.id, warnings: checked.warnings },
      'task created from the dashboard',
    );
  });

  scope.get('/tasks/:taskId/stop', async (request, reply) => {
    const task = await findTask(ctx, param(request, 'taskId'));
    const name = definitionOf(task).name;
    if (task.state !== 'active') return reply.redirect(taskHref(task.id), 303);
    return send(request, reply, {
      title: `Stop ${name}`,
      current: 'tasks',
      content: confirmContent({
        heading: `Stop the task "${name}"?`,
        consequences: [
          'The round now open fails with the reason "The coordinator stopped the task", and no new round opens. Sites stop training for the task when they next hear from the hub.',
          'Published models stay, with their downloads; uploads not finished are discarded.',
          'A stopped task cannot be started again: to go on, create a new task (it may start from a downloaded model).',
        ],
        action: `${taskHref(task.id)}/stop`,
        button: 'Stop the task',
        cancelHref: taskHref(task.id),
        csrfToken: auth.sessionOf(request).csrfToken,
      }),
    });
  });

  scope.post('/tasks/:taskId/stop', async (request, reply) => {
    const task = await stopTask(ctx, param(request, 'taskId'));
    return done(
      request,
      reply,
      taskHref(task.id),
      `Task "${task.name}" stopped.`,
      { task: task.id },
      'task stopped from the dashboard',
    );
  });

  scope.post('/tokens/:tokenId/revoke', async (request, reply) => {
    const tokenId = param(request, 'tokenId');
    await revokeEnrollmentToken(ctx, tokenId);
    return done(
      request,
      reply,
      `${DASHBOARD_PREFIX}/tokens`,
      `Token ${tokenId} revoked: no site can enroll with it.`,
      { token: tokenId },
      'enrollment token revoked',
    );
  });

  scope.get('/sites/:siteId/remove', async (request, reply) => {
    const site = await ctx.store.sites.site(param(request, 'siteId'));
    if (!site) throw new HubError('no-site', 404, 'There is no such site at this hub.');
    if (site.removed_at) return reply.redirect(`${DASHBOARD_PREFIX}/sites`, 303);
    return send(request, reply, {
      title: `Remove ${site.name}`,
      current: 'sites',
      content: confirmContent({
        heading: `Remove the site "${site.name}"?`,
        consequences: [
          `From now on the hub refuses every request signed with the key of "${site.name}", and any unused enrollment token made for that name. The site sees that it is no longer enrolled.`,
          'Updates it already sent stay where they were accepted: published models are not changed, and its past rounds and the model cards still show it. Rounds stop waiting for it: a round now open closes as soon as the other sites have sent (or fails at its deadline if too few did), and with secure aggregation it counts as a site that dropped out.',
          'Its name stays with its past rounds: to take part again the site enrolls with a new token under another name.',
        ],
        action: `${DASHBOARD_PREFIX}/sites/${encodeURIComponent(site.id)}/remove`,
        button: 'Remove the site',
        cancelHref: `${DASHBOARD_PREFIX}/sites`,
        csrfToken: auth.sessionOf(request).csrfToken,
      }),
    });
  });

  scope.post('/sites/:siteId/remove', async (request, reply) => {
    const siteId = param(request, 'siteId');
    const removed = await removeSite(ctx, siteId);
    const tokens = removed.tokensRevoked;
    return done(
      request,
      reply,
      `${DASHBOARD_PREFIX}/sites`,
      `Site "${removed.name}" removed: its key is no longer accepted` +
        (tokens > 0 ? `, and ${tokens} unused token${tokens === 1 ? '' : 's'} for its name revoked.` : '.'),
      { site: siteId, tokensRevoked: tokens },
      'site removed from the hub',
    );
  });
}
