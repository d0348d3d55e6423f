// Enrollment tokens: the list, and a form to make one (shown once, right after it is made).
import type { TokenSummary } from '../dashboard-data.ts';
import { html, type SafeHtml } from '../html.ts';
import { badge, when } from './format.ts';
import { DASHBOARD_PREFIX } from './layout.ts';

export const TOKEN_LIFETIMES = [
  { value: '1h', label: '1 hour', ms: 3600_000 },
  { value: '24h', label: '24 hours', ms: 24 * 3600_000 },
  { value: '7d', label: '7 days', ms: 7 * 24 * 3600_000 },
  { value: '30d', label: '30 days', ms: 30 * 24 * 3600_000 },
] as const;

export interface TokensPage {
  tokens: TokenSummary[];
  csrfToken: string;
  defaultHubUrl: string;
  /** A token just made: its full text, shown this once. */
  created?: { token: string; siteName: string | null; expiresAt: string };
  error?: string;
  /** Said once after an action (a token revoked). */
  notice?: string;
  now: number;
}

export function tokensContent(view: TokensPage): SafeHtml {
  const created = view.created
    ? html`<section class="panel" aria-labelledby="new-token-heading">
        <h2 id="new-token-heading">New enrollment token</h2>
        <p role="status">
          Token for
          ${view.created.siteName ? html`the site <strong>${view.created.siteName}</strong>` : 'any site name'},
          valid once until ${when(view.created.expiresAt, view.now)}. Copy it now and give it to the site by a
          channel you trust: it is not shown again, and the hub keeps only its hash.
        </p>
        <label for="new-token">Enrollment token</label>
        <textarea id="new-token" class="token" readonly>${view.created.token}</textarea>
      </section>`
    : '';
  const error = view.error
    ? html`<p class="notice error" role="alert">${view.error}</p>`
    : view.notice
      ? html`<p class="notice" role="status">${view.notice}</p>`
      : '';
  const lifetimes = TOKEN_LIFETIMES.map(
    (option) =>
      html`<option value="${option.value}" ${option.value === '24h' ? html` selected` : ''}>
        ${option.label}
      </option>`,
  );
  return html`<h1>Enrollment tokens</h1>
    <p class="lead">
      A token lets one site enroll, once, before it expires. It carries this hub's address and the
      fingerprints a site uses to recognise the real hub.
    </p>
    ${created}${error}
    <section class="panel" aria-labelledby="make-token-heading">
      <h2 id="make-token-heading">Make a token</h2>
      <form class="stack" method="post" action="${DASHBOARD_PREFIX}/tokens">
        <input type="hidden" name="csrf" value="${view.csrfToken}" />
        <div>
          <label for="site-name"
            >Site name <span class="hint">Optional: only a site of this name may use the token.</span></label
          >
          <input id="site-name" name="siteName" maxlength="100" />
        </div>
        <div>
          <label for="expires">Valid for</label>
          <select id="expires" name="expires">
            ${lifetimes}
          </select>
        </div>
        <div>
          <label for="hub-url"
            >Hub address sites dial
            <span class="hint">A name or address in the hub's certificate.</span></label
          >
          <input id="hub-url" name="hubUrl" required maxlength="300" value="${view.defaultHubUrl}" />
        </div>
        <div><button type="submit">Make token</button></div>
      </form>
    </section>
    <h2>All tokens</h2>
    ${tokensTable(view.tokens, view.now, view.csrfToken)}`;
}

function tokensTable(tokens: TokenSummary[], now: number, csrfToken: string): SafeHtml {
  if (tokens.length === 0) return html`<p>No token has been made yet.</p>`;
  const rows = tokens.map(
    (token) =>
      html`<tr>
        <th scope="row"><code>${token.id}</code></th>
        <td>${token.siteName ?? html`<span class="state-muted">any</span>`}</td>
        <td>${badge(token.state)}</td>
        <td>${when(token.createdAt, now)}</td>
        <td>${when(token.expiresAt, now)}</td>
        <td>${token.usedBySite ? html`${token.usedBySite}, ${when(token.usedAt, now)}` : '—'}</td>
        <td>
          ${
            token.state === 'unused'
              ? html`<form
                  class="inline"
                  method="post"
                  action="${DASHBOARD_PREFIX}/tokens/${encodeURIComponent(token.id)}/revoke"
                >
                  <input type="hidden" name="csrf" value="${csrfToken}" />
                  <button type="submit" class="quiet" aria-label="Revoke token ${token.id}">Revoke</button>
                </form>`
              : '—'
          }
        </td>
      </tr>`,
  );
  return html`<table aria-label="Enrollment tokens">
    <thead>
      <tr>
        <th scope="col">Token</th>
        <th scope="col">For site</th>
        <th scope="col">State</th>
        <th scope="col">Made</th>
        <th scope="col">Expires</th>
        <th scope="col">Used by</th>
        <th scope="col">Actions</th>
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
  </table>`;
}
