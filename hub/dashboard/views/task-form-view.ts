// The "new task" form. Each field shows its problems beside it (aria-describedby, aria-invalid), a
// summary at the top lists them, and a warning (per-patient privacy: the training patients a site
// needs) asks for a confirmation before the task is made. Works without script: every privacy
// mode's fields are shown, grouped under the mode they belong to.
import { html, type SafeHtml } from '../html.ts';
import type { FormBody } from '../dashboard-auth.ts';
import { DP_CHOICES, dpChoiceOf, MODEL_CHOICES, STRATEGY_CHOICES } from '../task-form.ts';
import { DASHBOARD_PREFIX } from './layout.ts';

export interface TaskFormView {
  values: FormBody;
  csrfToken: string;
  /** Problems by form field; '' for those no field owns. */
  problems: Map<string, string[]>;
  /** Warnings the coordinator must confirm (per-patient privacy: the training patients a site needs). */
  warnings: string[];
  /** The σ the hub calibrated for a per-patient task whose σ was left empty, shown with the warnings. */
  calibratedNoise?: number | null;
}

export function taskFormContent(view: TaskFormView): SafeHtml {
  const count = [...view.problems.values()].reduce((total, list) => total + list.length, 0);
  const general = view.problems.get('') ?? [];
  const summary =
    count > 0
      ? html`<div class="notice error" role="alert">
          <p>
            The task was not created: ${count} problem${count === 1 ? '' : 's'} to fix, shown beside each
            field.
          </p>
          ${
            general.length > 0
              ? html`<ul>
                  ${general.map((message) => html`<li>${message}</li>`)}
                </ul>`
              : ''
          }
        </div>`
      : '';
  const warnings =
    view.warnings.length > 0
      ? html`<div class="notice warn" role="alert" id="task-warnings">
          ${
            view.calibratedNoise
              ? html`<p>
                  The noise multiplier σ was left empty: the hub calibrated σ = ${view.calibratedNoise}, the
                  least noise whose ε after every round stays within the budget. It is stored in the task.
                </p>`
              : ''
          }
          ${view.warnings.map((warning) => html`<p>${warning}</p>`)}
          <label class="check"
            ><input type="checkbox" name="confirmWarnings" value="on" /> Create the task anyway</label
          >
        </div>`
      : '';
  const field = (name: string, label: string, control: SafeHtml, hint?: string): SafeHtml => {
    const problems = view.problems.get(name) ?? [];
    return html`<div class="field${problems.length > 0 ? ' invalid' : ''}">
      <label for="f-${name}">${label}${hint ? html` <span class="hint">${hint}</span>` : ''}</label>
      ${control}
      ${problems.map((message, i) => html`<p class="field-error" id="e-${name}-${i}">${message}</p>`)}
    </div>`;
  };
  const attrs = (name: string): SafeHtml => {
    const problems = view.problems.get(name) ?? [];
    const described = problems.map((_, i) => `e-${name}-${i}`).join(' ');
    return html`id="f-${name}"
    name="${name}"${problems.length > 0 ? html` aria-invalid="true" aria-describedby="${described}"` : ''}`;
  };
  const value = (name: string) => view.values[name] ?? '';
  const input = (name: string, type = 'text') =>
    html`<input ${attrs(name)} type="${type}" value="${value(name)}" />`;
  const number = (name: string) => html`<input ${attrs(name)} inputmode="decimal" value="${value(name)}" />`;
  const select = (name: string, options: readonly { value: string; label: string }[]) =>
    html`<select ${attrs(name)}>
      ${options.map(
        (option) =>
          html`<option value="${option.value}" ${option.value === value(name) ? html` selected` : ''}>
            ${option.label}
          </option>`,
      )}
    </select>`;
  const checkbox = (name: string, label: string) => {
    const problems = view.problems.get(name) ?? [];
    return html`<div class="field${problems.length > 0 ? ' invalid' : ''}">
      <label class="check"
        ><input ${attrs(name)} type="checkbox" value="on" ${value(name) === 'on' ? html` checked` : ''} />
        ${label}</label
      >
      ${problems.map((message, i) => html`<p class="field-error" id="e-${name}-${i}">${message}</p>`)}
    </div>`;
  };
  const dpChoices = (): SafeHtml => {
    const problems = view.problems.get('differentialPrivacy') ?? [];
    const chosen = dpChoiceOf(view.values);
    return html`<fieldset
      class="choices${problems.length > 0 ? ' invalid' : ''}"
      ${problems.length > 0 ? html`aria-describedby="${problems.map((_, i) => `e-differentialPrivacy-${i}`).join(' ')}"` : ''}
    >
      <legend>Differential privacy</legend>
      ${DP_CHOICES.map(
        (choice) =>
          html`<label class="check"
            ><input
              type="radio"
              name="differentialPrivacy"
              value="${choice.value}"
              ${choice.value === chosen ? html` checked` : ''}
            />
            ${choice.label}</label
          >`,
      )}
      ${problems.map((message, i) => html`<p class="field-error" id="e-differentialPrivacy-${i}">${message}</p>`)}
    </fieldset>`;
  };
  return html`<h1>New task</h1>
    <p class="lead">
      The same checks as <code>radfed hub task create</code>. Sites see the task in plain words and must
      approve it before they train for it.
    </p>
    ${summary}
    <form class="stack wide" method="post" action="${DASHBOARD_PREFIX}/tasks/new" novalidate>
      <input type="hidden" name="csrf" value="${view.csrfToken}" />
      ${warnings}
      <fieldset>
        <legend>What the task trains</legend>
        ${field('name', 'Name', input('name'))}
        ${field('description', 'Description', html`<textarea ${attrs('description')}>${value('description')}</textarea>`, 'Optional: shown to the sites.')}
        ${field(
          'model',
          'Model',
          select(
            'model',
            MODEL_CHOICES.map((m) => ({ value: m, label: m })),
          ),
        )}
        ${field('inputSize', 'Input size (pixels per side)', number('inputSize'))}
        ${field('labels', 'Labels', html`<textarea ${attrs('labels')}>${value('labels')}</textarea>`, 'At least 2, one per line or separated by commas, in class order.')}
      </fieldset>
      <fieldset>
        <legend>Rounds and training</legend>
        ${field('rounds', 'Rounds', number('rounds'))}
        ${field('localEpochs', 'Local epochs per round', number('localEpochs'))}
        ${field('batchSize', 'Batch size', number('batchSize'))}
        ${field(
          'optimizer',
          'Optimiser',
          select('optimizer', [
            { value: 'adam', label: 'Adam' },
            { value: 'sgd', label: 'SGD' },
          ]),
        )}
        ${field('learningRate', 'Learning rate', number('learningRate'))}
        ${field('strategy', 'Strategy', select('strategy', STRATEGY_CHOICES))}
        ${field('mu', 'FedProx μ', number('mu'), 'Only for FedProx: how strongly sites stay near the global model.')}
        ${field('quorum', 'Quorum (updates needed per round)', number('quorum'))}
        ${field('roundDeadlineSeconds', 'Round deadline (seconds)', number('roundDeadlineSeconds'))}
        ${field('maxUpdateNorm', 'Largest update norm', number('maxUpdateNorm'), 'Optional (default 1000): updates whose trained values have a larger L2 norm are clipped (batch-norm statistics are bounded value by value instead).')}
        ${field('sites', 'Sites', html`<textarea ${attrs('sites')}>${value('sites')}</textarea>`, 'Optional: site names that may take part, one per line; empty for every enrolled site.')}
      </fieldset>
      <fieldset>
        <legend>Privacy</legend>
        ${checkbox('secureAggregation', 'Secure aggregation (the hub sees only the sum of the updates)')}
        ${checkbox(
          'homomorphic',
          'Homomorphic encryption instead: the hub adds updates it cannot read and sees neither an update, their sum nor the model. ' +
            'Every site holds the key, so choose it when the sites trust each other; FedAvg, FedProx, FedAvgM and FedBN only.',
        )}
        ${dpChoices()}
        ${field('epsilon', 'Privacy budget ε', number('epsilon'), 'Per patient, or per site with DP-FedAvg; 1 to 10 is usual for useful medical models.')}
        ${field('delta', 'δ', number('delta'), 'The chance the guarantee fails outright; below 1 / the training patients of the largest site.')}
        <fieldset>
          <legend>Per patient</legend>
          ${field('samplingRate', 'Sampling rate q', number('samplingRate'), 'Each patient\u2019s chance to be in a training step; the expected batch is q × the site\u2019s training patients.')}
          ${field('patientClip', 'Clipping norm of a patient\u2019s gradient C', number('patientClip'))}
          ${field('patientNoise', 'Noise multiplier σ', number('patientNoise'), 'Leave empty: the hub calibrates it from ε, δ, the rounds, the local epochs and q.')}
        </fieldset>
        <fieldset>
          <legend>Per site (DP-FedAvg)</legend>
          ${field('clipNorm', 'Clipping norm of a site\u2019s update C', number('clipNorm'))}
          ${field('noiseMultiplier', 'Noise multiplier z', number('noiseMultiplier'))}
        </fieldset>
      </fieldset>
      <div><button type="submit">Create task</button> <a href="${DASHBOARD_PREFIX}/tasks">Cancel</a></div>
    </form>`;
}
