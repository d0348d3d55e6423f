// Split learning's leakage limits as the Settings page sees and changes them. They live in site.json
// (`splitLeakageLimits`), which the approval of a split-learning task reads
// (main/site/federation/approval-split-leakage.ts); hospital IT may lock each one in the locked settings
// file (`split.maxImageSsim`, `split.maxLabelAuc`), and the site then follows IT's value, written into
// site.json so headless commands honour it too (as the held-file policy does). Every change is audited.
import type { SettingsView, SplitLimitsChange, SplitLimitsView } from '../../../shared/ipc/index.ts';
import { SPLIT_LIMIT_BOUNDS, type SplitLimitKey } from '../../../shared/ipc/index.ts';
import { RadfedError } from '../../../shared/errors.ts';
import { AuditLog } from '../audit/index.ts';
import type { IngestSite } from '../ingest/index.ts';
import { readSiteConfig, writeSiteConfig, type SiteConfig } from '../store/index.ts';
import { SettingLockedError } from './setup-locks.ts';

/** The setting key that locks each limit (main/app/settings' catalogue, docs/settings.md). */
export const SPLIT_LIMIT_SETTING: Record<SplitLimitKey, string> = {
  maxImageSsim: 'split.maxImageSsim',
  maxLabelAuc: 'split.maxLabelAuc',
};

const LABELS: Record<SplitLimitKey, string> = {
  maxImageSsim: 'The limit on how closely images can be rebuilt',
  maxLabelAuc: 'The limit on how well labels can be read',
};

/** Named in the audit entry when IT's locked value is written into site.json. */
const IT_LOCK_ACTOR = 'IT department (locked setting)';

export class SplitLimitError extends RadfedError<'invalid-setting'> {
  override readonly name = 'SplitLimitError';
}

type Limits = Record<SplitLimitKey, number | null>;
const KEYS: readonly SplitLimitKey[] = ['maxImageSsim', 'maxLabelAuc'];

/**
 * site.json's limits as two optional numbers. A limit of 1 refuses nothing (neither figure can pass 1),
 * so it reads as no limit; site.json has no way to hold one limit without the other, and writes 1 for it.
 */
function limitsOf(config: SiteConfig): Limits {
  const kept = config.splitLeakageLimits;
  return {
    maxImageSsim: kept && kept.maxImageSsim < 1 ? kept.maxImageSsim : null,
    maxLabelAuc: kept && kept.maxLabelAuc < 1 ? kept.maxLabelAuc : null,
  };
}

function withLimits(config: SiteConfig, limits: Limits): SiteConfig {
  const { splitLeakageLimits: _old, ...rest } = config;
  if (limits.maxImageSsim === null && limits.maxLabelAuc === null) return rest;
  return {
    ...rest,
    splitLeakageLimits: { maxImageSsim: limits.maxImageSsim ?? 1, maxLabelAuc: limits.maxLabelAuc ?? 1 },
  };
}

/** IT's locked limits (only the locked ones), from the settings view. */
function lockedLimits(settings: SettingsView | null): Partial<Limits> {
  const locked: Partial<Limits> = {};
  for (const key of KEYS) {
    const entry = settings?.settings[SPLIT_LIMIT_SETTING[key]];
    // IT's 1 refuses nothing: no limit, as site.json's 1 reads.
    if (entry?.locked) locked[key] = typeof entry.value === 'number' && entry.value < 1 ? entry.value : null;
  }
  return locked;
}

function save(site: IngestSite, limits: Limits, actor: string, clock?: () => Date): Limits {
  const config = readSiteConfig(site.paths);
  const before = limitsOf(config);
  if (before.maxImageSsim === limits.maxImageSsim && before.maxLabelAuc === limits.maxLabelAuc) return before;
  writeSiteConfig(site.paths.config, withLimits(config, limits));
  new AuditLog(site.database, clock).append({
    type: 'site.settings-changed',
    actor,
    detail: { setting: 'splitLeakageLimits', from: { ...before }, to: { ...limits } },
  });
  return limits;
}

export interface SplitLimitsContext {
  readonly site: IngestSite;
  /** The settings view (IT's locks); null where the agent runs without settings (nothing is locked). */
  readonly settings: SettingsView | null;
  readonly actor: string;
  readonly clock?: () => Date;
}

/** The limits shown on the Settings page; a locked limit is first written into site.json (audited). */
export function splitLimitsView(context: SplitLimitsContext): SplitLimitsView {
  const locked = lockedLimits(context.settings);
  const current = limitsOf(readSiteConfig(context.site.paths));
  const followed = { ...current, ...locked };
  const limits =
    Object.keys(locked).length > 0 ? save(context.site, followed, IT_LOCK_ACTOR, context.clock) : current;
  return {
    maxImageSsim: { value: limits.maxImageSsim, locked: 'maxImageSsim' in locked },
    maxLabelAuc: { value: limits.maxLabelAuc, locked: 'maxLabelAuc' in locked },
  };
}

/** Why a limit cannot be used, in words, or null. */
export function splitLimitProblem(key: SplitLimitKey, value: number | null): string | null {
  if (value === null) return null;
  const { min, max } = SPLIT_LIMIT_BOUNDS[key];
  if (value >= min && value <= max) return null;
  const example = key === 'maxImageSsim' ? '0.5' : '0.75';
  return `${LABELS[key]} must be a number from ${min} to ${max} (for example ${example}), or left empty for no limit.`;
}

/** Saves the limits: all or nothing; a locked limit may not change, an out-of-range one is refused. */
export function setSplitLimits(context: SplitLimitsContext, change: SplitLimitsChange): SplitLimitsView {
  const locked = lockedLimits(context.settings);
  for (const key of KEYS) {
    const wanted = change[key] === 1 ? null : change[key];
    const itsValue = locked[key];
    if (itsValue !== undefined && wanted !== itsValue) {
      throw new SettingLockedError(
        SPLIT_LIMIT_SETTING[key],
        LABELS[key],
        itsValue === null ? 'no limit' : String(itsValue),
      );
    }
    const problem = splitLimitProblem(key, wanted);
    if (problem) throw new SplitLimitError('invalid-setting', `${problem} Nothing was changed.`);
  }
  // Equal to 1 is no limit (see limitsOf): saved as such, so the page shows what the site follows.
  const limits: Limits = {
    maxImageSsim: change.maxImageSsim === 1 ? null : change.maxImageSsim,
    maxLabelAuc: change.maxLabelAuc === 1 ? null : change.maxLabelAuc,
  };
  save(context.site, limits, context.actor, context.clock);
  return splitLimitsView(context);
}
