// The page frame: a skip link, the hub's name, the navigation (the current page marked for screen
// readers), who is signed in with a sign-out button, and the content.
import { html, type SafeHtml } from '../html.ts';

export const DASHBOARD_PREFIX = '/dashboard';

export type PageName = 'overview' | 'sites' | 'tokens' | 'tasks';

const NAV: { page: PageName; label: string; path: string }[] = [
  { page: 'overview', label: 'Overview', path: `${DASHBOARD_PREFIX}/` },
  { page: 'sites', label: 'Sites', path: `${DASHBOARD_PREFIX}/sites` },
  { page: 'tokens', label: 'Enrollment tokens', path: `${DASHBOARD_PREFIX}/tokens` },
  { page: 'tasks', label: 'Tasks', path: `${DASHBOARD_PREFIX}/tasks` },
];

export interface PageFrame {
  title: string;
  hubName: string;
  current: PageName | null;
  user: string;
  csrfToken: string;
  /** The page carries charts: load uPlot and the chart script. */
  charts?: boolean;
}

export function documentShell(title: string, body: SafeHtml, options: { charts?: boolean } = {}): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>${title} · RadFed hub</title>
        ${options.charts ? html`<link rel="stylesheet" href="${DASHBOARD_PREFIX}/assets/uplot.css" />` : ''}
        <link rel="stylesheet" href="${DASHBOARD_PREFIX}/assets/dashboard.css" />
      </head>
      <body>
        ${body}
        ${
          options.charts
            ? html`<script src="${DASHBOARD_PREFIX}/assets/uplot.js"></script>
                <script src="${DASHBOARD_PREFIX}/assets/dashboard.js"></script>`
            : ''
        }
      </body>
    </html> `.value;
}

export function page(frame: PageFrame, content: SafeHtml): string {
  const nav = NAV.map(
    (item) =>
      html`<li>
        <a href="${item.path}" ${item.page === frame.current ? html` aria-current="page"` : ''}
          >${item.label}</a
        >
      </li>`,
  );
  const body = html`<a class="skip-link" href="#content">Skip to content</a>
    <header class="top">
      <span class="brand">RadFed hub · ${frame.hubName}</span>
      <nav aria-label="Dashboard">
        <ul>
          ${nav}
        </ul>
      </nav>
      <div class="who">
        <span>Signed in as <strong>${frame.user}</strong></span>
        <form class="inline" method="post" action="${DASHBOARD_PREFIX}/logout">
          <input type="hidden" name="csrf" value="${frame.csrfToken}" />
          <button type="submit" class="quiet">Sign out</button>
        </form>
      </div>
    </header>
    <main id="content" tabindex="-1">${content}</main>`;
  return documentShell(frame.title, body, { charts: frame.charts ?? false });
}
