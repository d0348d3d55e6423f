// The overview (the hub at a glance) and the sites page.
import type { HubSummary, SiteSummary, TaskSummary } from '../dashboard-data.ts';
import { html, type SafeHtml } from '../html.ts';
import { tasksTable } from './tasks-view.ts';
import { badge, utc, when } from './format.ts';
import { DASHBOARD_PREFIX } from './layout.ts';

export function overviewContent(
  hub: HubSummary,
  sites: SiteSummary[],
  tasks: TaskSummary[],
  now: number,
): SafeHtml {
  const certificate = hub.certificateExpiresSoon
    ? html`<p class="notice warn" role="status">
        The hub's TLS certificate expires on ${utc(hub.certificateExpiresAt)}. Renew it before then, or sites
        cannot connect.
      </p>`
    : '';
  return html`<h1>Overview</h1>
    <p class="lead">The federation at a glance. <a href="${DASHBOARD_PREFIX}/">Refresh</a></p>
    ${certificate}
    <ul class="counts" aria-label="Counts">
      <li>
        <span class="value">${hub.sitesOnline} of ${hub.sites}</span><span class="label">sites online</span>
      </li>
      <li>
        <span class="value">${hub.activeTasks} of ${hub.tasks}</span><span class="label">tasks active</span>
      </li>
      <li>
        <span class="value">${hub.unusedTokens}</span><span class="label">enrollment tokens unused</span>
      </li>
    </ul>
    <section class="panel" aria-labelledby="hub-heading">
      <h2 id="hub-heading">This hub</h2>
      <dl class="facts">
        <dt>Name</dt>
        <dd>${hub.name}</dd>
        <dt>Addresses in its certificate</dt>
        <dd>${hub.hosts.join(', ')}</dd>
        <dt>TLS certificate expires</dt>
        <dd>${when(hub.certificateExpiresAt, now)}</dd>
        <dt>CA fingerprint</dt>
        <dd><code>${hub.caFingerprint}</code></dd>
      </dl>
    </section>
    <h2>Sites</h2>
    ${sitesTable(sites, now)}
    <h2>Tasks</h2>
    ${tasksTable(tasks)}`;
}

export function sitesContent(hub: HubSummary, sites: SiteSummary[], now: number, notice?: string): SafeHtml {
  return html`<h1>Sites</h1>
    ${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
    <p class="lead">
      ${hub.sites} enrolled. Each site sends a heartbeat about once a minute, also while it has nothing to do:
      <strong>online</strong> means it is training, <strong>idle</strong> that it is connected with nothing to
      do, <strong>offline</strong> that three heartbeats in a row did not arrive. Sites prove who they are
      with an Ed25519 key pinned at enrollment (it does not expire); they trust the hub's certificate, which
      expires on ${utc(hub.certificateExpiresAt)}.
    </p>
    ${sitesTable(sites, now, true)}`;
}

function sitesTable(sites: SiteSummary[], now: number, actions = false): SafeHtml {
  if (sites.length === 0) {
    return html`<p>
      No site has enrolled yet. <a href="${DASHBOARD_PREFIX}/tokens">Make an enrollment token</a> and give it
      to the site.
    </p>`;
  }
  const rows = sites.map(
    (site) =>
      html`<tr>
        <th scope="row">${site.name}</th>
        <td>
          ${badge(site.presence)}${site.activity ? html`<span class="hint">${site.activity}</span>` : ''}
        </td>
        <td>${when(site.lastSeenAt, now)}</td>
        <td>${site.version ?? html`<span class="state-muted">not reported</span>`}</td>
        <td>${when(site.enrolledAt, now)}</td>
        <td class="num">${site.tasks}</td>
        <td class="num">${site.acceptedUpdates}</td>
        ${actions ? html`<td>${site.presence === 'removed' ? '—' : removeLink(site)}</td>` : ''}
      </tr>`,
  );
  return html`<table aria-label="Sites">
    <thead>
      <tr>
        <th scope="col">Site</th>
        <th scope="col">Status</th>
        <th scope="col">Last seen</th>
        <th scope="col">Version</th>
        <th scope="col">Enrolled</th>
        <th scope="col" class="num">Tasks joined</th>
        <th scope="col" class="num">Updates accepted</th>
        ${actions ? html`<th scope="col">Actions</th>` : ''}
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
  </table>`;
}

function removeLink(site: SiteSummary): SafeHtml {
  return html`<a href="${DASHBOARD_PREFIX}/sites/${encodeURIComponent(site.id)}/remove"
    >Remove ${site.name}…</a
  >`;
}
