// The sign-in page, and the plain pages for errors and a missing account.
import { html, type SafeHtml } from '../html.ts';
import { DASHBOARD_PREFIX, documentShell } from './layout.ts';

export interface LoginPage {
  hubName: string;
  loginToken: string;
  /** A sentence above the form: why the person is here again, or what went wrong. */
  notice?: { text: string; tone: 'info' | 'error' };
  user?: string;
  /** No coordinator account exists yet: say how to make one. */
  noAccounts: boolean;
  hubDir: string;
}

export function loginPage(view: LoginPage): string {
  const notice = view.notice
    ? html`<p
        class="notice${view.notice.tone === 'error' ? ' error' : ''}"
        role="${view.notice.tone === 'error' ? 'alert' : 'status'}"
      >
        ${view.notice.text}
      </p>`
    : '';
  const setup = view.noAccounts
    ? html`<p class="notice warn" role="status">
        No coordinator account exists yet. On the hub machine, run
        <code>radfed hub coordinator set-password --dir ${view.hubDir}</code> and sign in here with it.
      </p>`
    : '';
  const body = html`<main id="content" class="login">
    <section class="panel">
      <h1>Sign in to the RadFed hub</h1>
      <p class="lead">${view.hubName}: the coordinator's dashboard.</p>
      ${setup}${notice}
      <form class="stack" method="post" action="${DASHBOARD_PREFIX}/login">
        <input type="hidden" name="login" value="${view.loginToken}" />
        <div>
          <label for="user">Coordinator name</label>
          <input
            id="user"
            name="user"
            autocomplete="username"
            required
            maxlength="64"
            value="${view.user ?? 'coordinator'}"
          />
        </div>
        <div>
          <label for="password">Password</label>
          <input
            id="password"
            name="password"
            type="password"
            autocomplete="current-password"
            required
            maxlength="1024"
          />
        </div>
        <div><button type="submit">Sign in</button></div>
      </form>
    </section>
  </main>`;
  return documentShell('Sign in', body);
}

export function plainPage(title: string, message: string, link?: { href: string; label: string }): string {
  const back: SafeHtml | string = link ? html`<p><a href="${link.href}">${link.label}</a></p>` : '';
  return documentShell(
    title,
    html`<main id="content" class="login">
      <section class="panel">
        <h1>${title}</h1>
        <p>${message}</p>
        ${back}
      </section>
    </main>`,
  );
}
