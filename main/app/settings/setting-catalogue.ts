// Every setting RadFed knows, with its rule and built-in value. docs/settings.md is the same table for
// hospital IT; keep the two together. Keys are flat (`hub.url`) so a locked file names exactly what it locks.
import { z } from 'zod';
import { checkSiteName } from '../../../shared/site-name.ts';
import { AeTitleSchema } from '../../site/store/index.ts';
import { DEID_OPTIONS } from '../../site/deid/index.ts';
import type { SettingValue } from '../../../shared/ipc/index.ts';

interface SettingRule {
  readonly schema: z.ZodType<SettingValue>;
  readonly builtIn: SettingValue;
  readonly secret?: boolean;
}

const path = z.string().trim().min(1, 'a path cannot be empty').max(4096);
const text = (max: number) => z.string().trim().min(1, 'it cannot be empty').max(max);
const httpsUrl = z
  .string()
  .trim()
  .refine((value) => URL.canParse(value) && new URL(value).protocol === 'https:', {
    message: 'it must be an https:// address',
  });
const deidOption = z.enum(DEID_OPTIONS);
const siteName = z.string().transform((value, ctx) => {
  const checked = checkSiteName(value);
  if (checked.ok) return checked.name;
  // The rule's sentence reads as a whole; the store adds "cannot be used:" before it.
  ctx.addIssue({ code: 'custom', message: checked.problem.replace(/\.$/, '') });
  return z.NEVER;
});

export const SETTING_CATALOGUE = {
  'site.folder': { schema: path.nullable(), builtIn: null },
  // The one name rule (shared/site-name.ts), so IT's preset name is one the wizard and the hub accept.
  'site.name': { schema: siteName.nullable(), builtIn: null },
  'site.consentPolicy': { schema: z.enum(['opt-in', 'opt-out']).nullable(), builtIn: null },
  'site.consentScope': { schema: text(200).nullable(), builtIn: null },
  'site.deidOptions': {
    schema: z
      .array(deidOption)
      .max(DEID_OPTIONS.length)
      .refine(
        (options) =>
          !(options.includes('retain-long-full-dates') && options.includes('retain-long-modified-dates')),
        {
          message: 'retain-long-full-dates and retain-long-modified-dates exclude each other (PS3.15 E.3.6)',
        },
      ),
    builtIn: [],
  },
  'hub.url': { schema: httpsUrl.nullable(), builtIn: null },
  'hub.enrollmentToken': { schema: text(8192).nullable(), builtIn: null, secret: true },
  'studies.watchFolder': { schema: path.nullable(), builtIn: null },
  // What ingest does with images held for text in the picture (main/site/held); site.json follows it.
  'studies.heldFilePolicy': {
    schema: z.enum(['hold', 'clean-automatically', 'clean-and-ask']),
    builtIn: 'hold',
  },
  'receiver.port': { schema: z.number().int().min(1).max(65535).nullable(), builtIn: null },
  'receiver.aeTitle': { schema: AeTitleSchema, builtIn: 'RADFED' },
  'receiver.allowedCallingAeTitles': { schema: z.array(AeTitleSchema).max(100), builtIn: [] },
  // Split learning's leakage limits (site.json's splitLeakageLimits follows them when IT locks them;
  // main/site/console/split-limits.ts); null: no limit.
  'split.maxImageSsim': { schema: z.number().min(0).max(1).nullable(), builtIn: null },
  'split.maxLabelAuc': { schema: z.number().min(0.5).max(1).nullable(), builtIn: null },
  'training.backend': { schema: z.enum(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']), builtIn: 'auto' },
  'app.startAtLogin': { schema: z.boolean(), builtIn: false },
  'app.notifications': { schema: z.boolean(), builtIn: true },
  'app.autoUpdate': { schema: z.boolean(), builtIn: false },
} as const satisfies Record<string, SettingRule>;

export type SettingKey = keyof typeof SETTING_CATALOGUE;

/** The typed value of each key, as its rule parses it. */
export type Settings = { -readonly [K in SettingKey]: z.output<(typeof SETTING_CATALOGUE)[K]['schema']> };

export const SETTING_KEYS = Object.freeze(Object.keys(SETTING_CATALOGUE) as SettingKey[]);

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTING_CATALOGUE, key);
}

export function settingRule(key: SettingKey): SettingRule {
  return SETTING_CATALOGUE[key];
}

/** Checks one value against its key's rule: the parsed value, or a short reason (never the value itself). */
export function checkSettingValue(
  key: SettingKey,
  value: unknown,
): { ok: true; value: SettingValue } | { ok: false; reason: string } {
  const parsed = SETTING_CATALOGUE[key].schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, reason: parsed.error.issues[0]?.message ?? 'the value is not allowed' };
}
