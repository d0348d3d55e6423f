// The coordinator's dashboard: HTML pages under /dashboard on the hub's HTTPS port, behind a sign-in.
// Registered in its own Fastify scope (its own body parser, headers, errors and 404), so the site API's
// signed-request checks are untouched by it.
import type { FastifyError, FastifyInstance } from 'fastify';
import type { HubContext } from '../hub-context.ts';
import { HubError } from '../hub-errors.ts';
import { DATABASE_DOWN_SENTENCE, isDatabaseDown, type HubApp } from '../server/http-plumbing.ts';
import { importAccountsFile } from './accounts-import.ts';
import { DashboardAuth, type DashboardAuthOptions } from './dashboard-auth.ts';
import { dashboardAsset } from './dashboard-assets.ts';
import { DashboardError } from './dashboard-errors.ts';
import { registerActionRoutes } from './action-routes.ts';
import { registerPageRoutes } from './page-routes.ts';
import { DASHBOARD_SECURITY_HEADERS } from './security-headers.ts';
import { trackSitePresence } from './site-presence.ts';
import { DASHBOARD_PREFIX } from './views/layout.ts';
import { plainPage } from './views/login-view.ts';

export {
  checkPasswordStrength,
  checkUserName,
  generatePassword,
  MIN_PASSWORD_LENGTH,
  type ScryptCost,
  verifyPassword,
} from './coordinator-accounts.ts';
export {
  findAccount,
  listCoordinators,
  removeCoordinator,
  setCoordinatorPassword,
} from './coordinator-admin.ts';
export { importAccountsFile, type AccountsImport } from './accounts-import.ts';
export { siteSummaries, taskDetail } from './dashboard-data.ts';
export { exportModelFiles } from './model-download.ts';
export { DashboardError, type DashboardErrorCode } from './dashboard-errors.ts';
export { DASHBOARD_CONTENT_SECURITY_POLICY } from './security-headers.ts';
export { DASHBOARD_PREFIX } from './views/layout.ts';
export type { DashboardAuthOptions } from './dashboard-auth.ts';

const MAX_FORM_BYTES = 16 * 1024;

export function registerDashboard(app: HubApp, ctx: HubContext, options: DashboardAuthOptions = {}): void {
  const auth = new DashboardAuth(ctx, options);
  trackSitePresence(app, ctx);
  void app.register(
    async (scope: FastifyInstance) => {
      await moveAccountsFileIntoDatabase(scope, ctx);
      scope.addHook('onSend', async (_request, reply, payload) => {
        reply.headers(DASHBOARD_SECURITY_HEADERS);
        return payload;
      });
      scope.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string', bodyLimit: MAX_FORM_BYTES },
        (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
      );
      scope.setErrorHandler((error: FastifyError, request, reply) => {
        if (isDatabaseDown(error)) {
          request.log.error({ code: error.code }, error.message);
          return reply
            .code(503)
            .header('retry-after', '5')
            .type('text/html; charset=utf-8')
            .send(plainPage('The hub is not ready', DATABASE_DOWN_SENTENCE));
        }
        const known = error instanceof HubError || error instanceof DashboardError;
        const status =
          error instanceof HubError
            ? error.statusCode
            : error instanceof DashboardError
              ? 400
              : (error.statusCode ?? 500);
        if (!known && status >= 500) {
          request.log.error({ err: error }, 'dashboard page failed');
        }
        const message =
          known || status < 500
            ? error.message
            : "The dashboard could not show this page; the details are in the hub's log.";
        return reply
          .code(status)
          .type('text/html; charset=utf-8')
          .send(
            plainPage('Something went wrong', message, {
              href: `${DASHBOARD_PREFIX}/`,
              label: 'Back to the dashboard',
            }),
          );
      });
      scope.setNotFoundHandler((_request, reply) =>
        reply
          .code(404)
          .type('text/html; charset=utf-8')
          .send(
            plainPage('Not found', 'There is no such page on this dashboard.', {
              href: `${DASHBOARD_PREFIX}/`,
              label: 'Back to the dashboard',
            }),
          ),
      );

      scope.get('/assets/:name', (request, reply) => {
        const asset = dashboardAsset((request.params as { name: string }).name);
        if (!asset) throw new HubError('not-found', 404, 'There is no such file on this dashboard.');
        return reply.type(asset.type).send(asset.body);
      });
      scope.get('/login', auth.loginForm);
      scope.post('/login', auth.login);

      await scope.register(async (guarded: FastifyInstance) => {
        guarded.addHook('preHandler', auth.guard);
        guarded.post('/logout', auth.logout);
        registerPageRoutes(guarded, ctx, auth);
        registerActionRoutes(guarded, ctx, auth);
      });
    },
    { prefix: DASHBOARD_PREFIX },
  );
}

/**
 * The first start after the upgrade that put accounts in the database: an older hub folder's
 * coordinators.json is copied in and renamed. A file that cannot be read does not stop the hub (its
 * sites need it more than the dashboard does); the log says what to do, and the next start tries again.
 */
async function moveAccountsFileIntoDatabase(scope: FastifyInstance, ctx: HubContext): Promise<void> {
  try {
    const moved = await importAccountsFile(ctx.layout.root, ctx.store.sql);
    if (moved && moved.imported > 0) {
      scope.log.info(
        { accounts: moved.imported },
        'coordinator accounts moved from coordinators.json into the hub database',
      );
    }
    if (moved && moved.skipped.length > 0) {
      scope.log.warn(
        { coordinators: moved.skipped },
        'coordinators.json named accounts the hub database does not have; they were not added (the database already had accounts): set their passwords again with `radfed hub coordinator set-password` if they are still wanted',
      );
    }
  } catch (error) {
    scope.log.error({ err: error }, 'coordinator accounts could not be moved from coordinators.json');
  }
}
