// Sending one dashboard page: the layout around the content, with the signed-in coordinator's name and
// the session's CSRF token (every form on the page posts it back). One place for the page routes and
// the action routes, so both render the same layout the same way.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HubContext } from '../hub-context.ts';
import type { DashboardAuth } from './dashboard-auth.ts';
import type { SafeHtml } from './html.ts';
import { page, type PageName } from './views/layout.ts';

export interface PageView {
  title: string;
  current: PageName | null;
  content: SafeHtml;
  /** Whether the page draws charts (loads the chart script). */
  charts?: boolean;
}

export function pageSender(ctx: HubContext, auth: DashboardAuth) {
  return (request: FastifyRequest, reply: FastifyReply, view: PageView, status = 200) => {
    const session = auth.sessionOf(request);
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .send(
        page(
          {
            title: view.title,
            hubName: ctx.config.name,
            current: view.current,
            user: session.user,
            csrfToken: session.csrfToken,
            charts: view.charts ?? false,
          },
          view.content,
        ),
      );
  };
}
