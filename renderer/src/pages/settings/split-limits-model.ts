// Split learning's leakage limits on the Settings page, in plain words: what each limit means, and the
// field's text read as a number (empty: no limit), with the same range and sentence as the agent's
// check (main/site/console/split-limits.ts), so a person sees the problem beside the field before saving.
// Pure, so it is tested without a browser.
import { SPLIT_LIMIT_BOUNDS, type SplitLimitKey } from '../../../../shared/ipc/index.ts';

export interface SplitLimitField {
  readonly key: SplitLimitKey;
  readonly label: string;
  readonly hint: string;
  readonly example: string;
}

export const SPLIT_LIMIT_FIELDS: readonly SplitLimitField[] = [
  {
    key: 'maxImageSsim',
    label: 'Refuse when images could be rebuilt this closely (0 to 1)',
    hint:
      'Before this site approves a split-learning task, RadFed measures how closely the hub could rebuild ' +
      'this site\u2019s images from what the site sends (0: not at all, 1: exactly).',
    example: '0.5',
  },
  {
    key: 'maxLabelAuc',
    label: 'Refuse when the labels could be read this well (0.5 to 1)',
    hint: 'And how well the hub could tell this site\u2019s labels (the findings) from what it sends back (0.5: no better than guessing, 1: always right).',
    example: '0.75',
  },
];

const LABELS: Record<SplitLimitKey, string> = {
  maxImageSsim: 'The limit on how closely images can be rebuilt',
  maxLabelAuc: 'The limit on how well labels can be read',
};

/** The sentence for a limit out of its range (the agent's own words). */
export function limitRangeProblem(key: SplitLimitKey): string {
  const { min, max } = SPLIT_LIMIT_BOUNDS[key];
  const example = SPLIT_LIMIT_FIELDS.find((field) => field.key === key)?.example ?? '';
  return `${LABELS[key]} must be a number from ${min} to ${max} (for example ${example}), or left empty for no limit.`;
}

/** The field's text as a limit: null for empty (no limit), or the sentence that says what to write. */
export function parseLimit(
  key: SplitLimitKey,
  text: string,
): { ok: true; value: number | null } | { ok: false; problem: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, value: null };
  // A decimal comma (0,5) is how many hospitals write numbers.
  const normal = trimmed.replace(',', '.');
  if (!/^-?(\d+\.?\d*|\.\d+)$/.test(normal)) return { ok: false, problem: limitRangeProblem(key) };
  const value = Number(normal);
  const { min, max } = SPLIT_LIMIT_BOUNDS[key];
  if (!Number.isFinite(value) || value < min || value > max)
    return { ok: false, problem: limitRangeProblem(key) };
  return { ok: true, value };
}

/** What the field shows for a saved limit. */
export function limitText(value: number | null): string {
  return value === null ? '' : String(value);
}

/** The limits in one sentence, for the line under the form. */
export function limitsSummary(limits: Record<SplitLimitKey, number | null>): string {
  const { maxImageSsim: image, maxLabelAuc: labels } = limits;
  if (image === null && labels === null) {
    return 'No limit is set: the figures are shown when a task asks for approval, and no task is refused for them.';
  }
  const parts = [
    image === null ? null : `images could be rebuilt more closely than ${image}`,
    labels === null ? null : `labels could be read better than ${labels}`,
  ].filter((part): part is string => part !== null);
  return `A split-learning task is refused when ${parts.join(', or when ')}.`;
}
