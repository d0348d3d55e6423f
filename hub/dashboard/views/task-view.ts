// One task: what it is, its rounds, charts of the global metrics and of each site's participation
// (each with a table that says the same in text), its privacy settings and budget, and its models.
import type { ModelSummary, PrivacySummary, RoundSummary, TaskDetail } from '../dashboard-data.ts';
import {
  homomorphicOn,
  learningRateScheduleWords,
  patientDpStepsPerRound,
  patientLevelDp,
  type TaskDefinition,
} from '../../../shared/federation/index.ts';
import type { SiteStanding } from '../site-standings.ts';
import { html, jsonScriptContent, type SafeHtml } from '../html.ts';
import { badge, bytes, metric, when } from './format.ts';
import { taskHref } from './tasks-view.ts';

export interface ChartSpec {
  target: string;
  xLabel: string;
  yLabel: string;
  x: number[];
  series: { label: string; values: (number | null)[] }[];
}

export function taskCharts(detail: TaskDetail): ChartSpec[] {
  const evaluated = detail.models.filter((model) => model.evaluatedBy > 0);
  return [
    {
      target: 'metrics-chart',
      xLabel: 'Round',
      yLabel: 'Value',
      x: evaluated.map((model) => model.round),
      series: [
        { label: 'Loss', values: evaluated.map((model) => model.loss) },
        { label: 'Accuracy', values: evaluated.map((model) => model.accuracy) },
        { label: 'AUC', values: evaluated.map((model) => model.auc) },
      ],
    },
    {
      target: 'participation-chart',
      xLabel: 'Round',
      yLabel: 'Examples',
      x: detail.participation.rounds,
      series: detail.participation.sites.map((site, index) => ({
        label: site.name,
        values: detail.participation.examples.map((row) => row[index] ?? null),
      })),
    },
  ];
}

export function taskContent(detail: TaskDetail, now: number, notice?: string): SafeHtml {
  const { summary, definition } = detail;
  return html`<h1>Task: ${summary.name}</h1>
    <p class="lead">
      <code>${summary.id}</code> · ${badge(summary.state)} · <a href="${taskHref(summary.id)}">Refresh</a>
      ${summary.state === 'active' ? html` · <a href="${taskHref(summary.id)}/stop">Stop this task…</a>` : ''}
    </p>
    ${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
    ${detail.privacy.warning ? html`<p class="notice warn">${detail.privacy.warning}</p>` : ''}
    <section class="panel" aria-labelledby="task-heading">
      <h2 id="task-heading">What the task is</h2>
      <dl class="facts">
        ${
          definition.description
            ? html`<dt>Description</dt>
                <dd>${definition.description}</dd>`
            : ''
        }
        <dt>Model</dt>
        <dd>${definition.model.name}, ${definition.input.size}×${definition.input.size} input</dd>
        <dt>Labels</dt>
        <dd>${definition.labels.join(', ')}</dd>
        <dt>Strategy</dt>
        <dd>
          ${summary.strategy}, quorum ${definition.quorum}, deadline ${definition.roundDeadlineSeconds} s
        </dd>
        <dt>Rounds</dt>
        <dd>${summary.roundsPublished} of ${summary.roundsPlanned} published</dd>
        <dt>Local training</dt>
        <dd>
          ${definition.localEpochs} epoch(s), ${localBatch(definition)}, ${definition.optimizer.name} at
          ${definition.optimizer.learningRate}${scheduleWords(definition)}
        </dd>
        <dt>Sites</dt>
        <dd>
          ${definition.sites ? definition.sites.join(', ') : 'any enrolled site'}; ${summary.joinedSites}
          joined
        </dd>
      </dl>
    </section>
    <h2>Charts</h2>
    <div class="charts">
      <figure class="chart">
        <figcaption id="metrics-caption">
          Global model per round: loss, accuracy and AUC on the sites' validation data
        </figcaption>
        <div id="metrics-chart" class="chart-area" role="img" aria-labelledby="metrics-caption"></div>
      </figure>
      <figure class="chart">
        <figcaption id="participation-caption">
          Participation: training examples in each site's accepted update
        </figcaption>
        <div
          id="participation-chart"
          class="chart-area"
          role="img"
          aria-labelledby="participation-caption"
        ></div>
      </figure>
    </div>
    <script type="application/json" id="chart-data">
      ${jsonScriptContent(taskCharts(detail))}
    </script>
    <h2>Rounds</h2>
    ${roundsTable(detail.rounds, now)}
    <h2>Sites</h2>
    ${standingsTable(detail.sites)}
    <h2>Participation</h2>
    ${participationTable(detail)}
    <h2>Privacy</h2>
    ${privacyPanel(detail.privacy, homomorphicOn(detail.definition))}
    <h2>Models</h2>
    ${modelsTable(summary.id, detail.models, now, homomorphicOn(detail.definition))}`;
}

/** The batch a site trains on: the task's batch size, or per patient a random sample of its patients. */
function localBatch(definition: TaskDefinition): string {
  const dp = patientLevelDp(definition.privacy.differentialPrivacy);
  return dp
    ? `in ${patientDpStepsPerRound(definition)} steps a round, each on a random sample of a site's patients (each in with probability ${dp.samplingRate})`
    : `batch ${definition.batchSize}`;
}

/**
 * The sites' learning-rate schedule in the words the sites' approval text uses, with its name in the
 * task's JSON after it, so the coordinator can tell which one the definition asked for.
 */
function scheduleWords(definition: TaskDefinition): string {
  const { schedule } = definition.optimizer;
  return schedule === 'constant'
    ? ', the same in every round'
    : `${learningRateScheduleWords(schedule)} (${schedule})`;
}

function roundsTable(rounds: RoundSummary[], now: number): SafeHtml {
  if (rounds.length === 0) return html`<p>No round has opened yet.</p>`;
  const rows = [...rounds].reverse().map(
    (round) =>
      html`<tr>
        <th scope="row" class="num">${round.number}</th>
        <td>
          ${badge(round.state)}${round.failureReason ? html`<br /><span class="hint">${round.failureReason}</span>` : ''}
        </td>
        <td class="num">
          ${round.acceptedUpdates} of ${round.quorum}
          needed${round.rejectedUpdates > 0 ? html`<br /><span class="hint">${round.rejectedUpdates} refused</span>` : ''}
        </td>
        <td>${when(round.openedAt, now)}</td>
        <td>
          ${round.closedAt ? when(round.closedAt, now) : round.deadlineAt ? html`deadline ${when(round.deadlineAt, now)}` : '—'}
        </td>
      </tr>`,
  );
  return html`<table aria-label="Rounds">
    <thead>
      <tr>
        <th scope="col" class="num">Round</th>
        <th scope="col">State</th>
        <th scope="col" class="num">Updates</th>
        <th scope="col">Opened</th>
        <th scope="col">Closed</th>
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
  </table>`;
}

function participationTable(detail: TaskDetail): SafeHtml {
  const { sites, rounds, examples } = detail.participation;
  // With differential privacy a site sends the weight 1, not its image count (which would say who is in
  // its cohort without noise): the hub knows only that the update came.
  // Under homomorphic encryption the weight travels inside the ciphertext: the hub knows it no more.
  const weighed = detail.definition.privacy.differentialPrivacy === null && !homomorphicOn(detail.definition);
  if (sites.length === 0) return html`<p>No site has joined this task yet.</p>`;
  const head = sites.map((site) => html`<th scope="col" class="num">${site.name}</th>`);
  const rows = rounds.map(
    (round, r) =>
      html`<tr>
        <th scope="row" class="num">${round}</th>
        ${sites.map((_, s) => {
          const value = examples[r]?.[s] ?? null;
          return html`<td class="num">
            ${value === null ? html`<span class="state-muted">none</span>` : weighed ? `${value} examples` : 'sent'}
          </td>`;
        })}
      </tr>`,
  );
  return html`<table aria-label="Participation">
    <caption>
      ${
        weighed
          ? 'Accepted updates per round, with the training examples each carried'
          : homomorphicOn(detail.definition)
            ? 'Accepted updates per round (encrypted: each update\u2019s image count is locked inside it)'
            : 'Accepted updates per round (with differential privacy every update carries the same weight, so sites send no image count)'
      }
    </caption>
    <thead>
      <tr>
        <th scope="col" class="num">Round</th>
        ${head}
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
  </table>`;
}

function privacyPanel(privacy: PrivacySummary, encrypted: boolean): SafeHtml {
  const dp = privacy.differentialPrivacy
    ? privacy.differentialPrivacy.map(
        (item) =>
          html`<dt>${item.label}</dt>
            <dd>${item.value}</dd>`,
      )
    : html`<dt>Differential privacy</dt>
        <dd>not set</dd>`;
  const budget = privacy.budget
    ? html`<dt>Privacy budget spent per ${privacy.budget.unit}</dt>
        <dd>
          ε = ${privacy.budget.spent} of ${privacy.budget.total} (δ = ${privacy.budget.delta}) after
          ${privacy.budget.rounds} round(s); the budget allows
          ${Number.isFinite(privacy.budget.roundsAllowed) ? privacy.budget.roundsAllowed : 'unlimited'}
          round(s)${
            privacy.budget.unit === 'patient'
              ? html`<br /><span class="hint"
                    >Counted for every patient over every published round (the most any one patient can have
                    spent).</span
                  >`
              : ''
          }
        </dd>`
    : html`<dt>Privacy budget</dt>
        <dd>not set</dd>`;
  return html`<section class="panel" aria-label="Privacy">
    <dl class="facts">
      <dt>Secure aggregation</dt>
      <dd>${privacy.secureAggregation}</dd>
      ${
        encrypted
          ? html`<dt>Homomorphic encryption</dt>
              <dd>
                on: the model is encrypted with a key only the task's sites hold. The hub cannot read it or
                evaluate it; each site decrypts every new version, evaluates it on its own validation images
                and reports the metrics shown above.
              </dd>`
          : ''
      }
      ${dp} ${budget}
    </dl>
  </section>`;
}

function modelsTable(taskId: string, models: ModelSummary[], now: number, encrypted: boolean): SafeHtml {
  if (models.length === 0) return html`<p>No global model yet: the task waits for an initial model.</p>`;
  const base = `${taskHref(taskId)}/models`;
  const best = models.find((model) => model.best);
  const rows = [...models].reverse().map(
    (model) =>
      html`<tr>
        <th scope="row" class="num">
          ${model.version}${model.best ? html`<br /><span class="state state-ok">best</span>` : ''}
        </th>
        <td class="num">${model.round}</td>
        <td>${when(model.createdAt, now)}</td>
        <td class="num">${metric(model.loss)}</td>
        <td class="num">${metric(model.accuracy)}</td>
        <td class="num">${metric(model.auc)}</td>
        <td class="num">${model.evaluatedBy}</td>
        <td class="num">${bytes(model.bytes)}</td>
        <td>
          ${
            encrypted && model.version > 0
              ? html`<span class="state-muted">encrypted: only the sites can read it</span>`
              : html`<a href="${base}/${model.version}/tfjs.tar" download
                  >TF.js model, version ${model.version}</a
                >`
          }
          <br /><span class="hint"
            ><a href="${base}/${model.version}/model-card.json" download>model card</a> ·
            <code title="SHA-256">${model.sha256.slice(0, 12)}…</code></span
          >
        </td>
      </tr>`,
  );
  return html`<p>
      ${
        best
          ? html`The best version is <strong>${best.version}</strong>, by the sites' federated evaluation
              (${best.auc !== null ? html`highest AUC, ${metric(best.auc)}` : html`lowest loss, ${metric(best.loss)}`}).`
          : 'No version has been evaluated by the sites yet.'
      }
    </p>
    <table aria-label="Models">
      <thead>
        <tr>
          <th scope="col" class="num">Version</th>
          <th scope="col" class="num">From round</th>
          <th scope="col">Made</th>
          <th scope="col" class="num">Loss</th>
          <th scope="col" class="num">Accuracy</th>
          <th scope="col" class="num">AUC</th>
          <th scope="col" class="num">Sites evaluated</th>
          <th scope="col" class="num">Size</th>
          <th scope="col">Download</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>`;
}

function standingsTable(sites: SiteStanding[]): SafeHtml {
  if (sites.length === 0) return html`<p>No enrolled site may take part in this task.</p>`;
  const rows = sites.map(
    (site) =>
      html`<tr>
        <th scope="row">${site.name}</th>
        <td>${badge(site.presence)}</td>
        <td><span class="state state-${site.tone}">${site.standing}</span></td>
      </tr>`,
  );
  return html`<table aria-label="Sites and this task">
    <caption>
      Each site the task is for: joined, declined, cannot take part, or not heard from
    </caption>
    <thead>
      <tr>
        <th scope="col">Site</th>
        <th scope="col">Status</th>
        <th scope="col">With this task</th>
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
  </table>`;
}
