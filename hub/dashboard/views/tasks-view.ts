// The tasks page: every task with its progress and the state of its current round.
import type { TaskSummary } from '../dashboard-data.ts';
import { html, type SafeHtml } from '../html.ts';
import { badge } from './format.ts';
import { DASHBOARD_PREFIX } from './layout.ts';

export function taskHref(taskId: string): string {
  return `${DASHBOARD_PREFIX}/tasks/${encodeURIComponent(taskId)}`;
}

export function tasksContent(tasks: TaskSummary[], notice?: string): SafeHtml {
  return html`<h1>Tasks</h1>
    <p class="lead">
      Define a task here or with <code>radfed hub task create</code>. Open one for its rounds, metrics,
      participation, privacy and models.
    </p>
    ${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
    <p><a class="button" href="${DASHBOARD_PREFIX}/tasks/new">New task</a></p>
    ${tasksTable(tasks)}`;
}

export function tasksTable(tasks: TaskSummary[]): SafeHtml {
  if (tasks.length === 0) {
    return html`<p>
      No task yet: define one with <b>New task</b>, or with
      <code>radfed hub task create --dir HUB --file task.json</code>.
    </p>`;
  }
  const rows = tasks.map(
    (task) =>
      html`<tr>
        <th scope="row">
          <a href="${taskHref(task.id)}">${task.name}</a><br /><code class="hint">${task.id}</code>
        </th>
        <td>${badge(task.state)}</td>
        <td>${task.strategy}</td>
        <td class="num">${task.roundsPublished} of ${task.roundsPlanned}</td>
        <td>
          ${task.currentRound === null ? '—' : html`round ${task.currentRound}: ${badge(task.currentRoundState ?? 'open')}`}
        </td>
        <td class="num">${task.joinedSites}</td>
        <td class="num">${task.latestVersion ?? '—'}</td>
      </tr>`,
  );
  return html`<table aria-label="Tasks">
    <thead>
      <tr>
        <th scope="col">Task</th>
        <th scope="col">State</th>
        <th scope="col">Strategy</th>
        <th scope="col" class="num">Rounds published</th>
        <th scope="col">Current round</th>
        <th scope="col" class="num">Sites joined</th>
        <th scope="col" class="num">Latest model</th>
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
  </table>`;
}
