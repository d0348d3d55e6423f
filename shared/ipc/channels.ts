// The IPC contract, written once, schema first (as shared/federation/protocol.ts writes the hub's): one
// table maps each channel to the zod schemas of its request and response and to its method on the API
// object. Everything else derives from it: the channel names (channel-names.ts), the
// request and response types (z.infer), the API type and object (radfed-api.ts) that the preload and
// the web bridge expose, and the dispatcher's validation (main/site/console/ipc-handlers.ts). A new
// channel is one entry here plus its handler; the compiler asks for the handler.
import { z } from 'zod';
import {
  auditChainStatusSchema,
  auditCsvExportSchema,
  auditPageSchema,
  auditQueryViewSchema,
} from './audit-view.ts';
import {
  cohortSummaryRequestSchema,
  cohortViewSchema,
  labelImportRequestSchema,
  labelImportViewSchema,
  saveSiteTaskRequestSchema,
  saveSiteTaskResultSchema,
  siteTaskViewSchema,
} from './cohort-view.ts';
import {
  consentHistoryViewSchema,
  consentImportRequestSchema,
  consentImportResultSchema,
  consentRegisterViewSchema,
  patientIdRequestSchema,
  pseudonymRequestSchema,
  withdrawPreviewSchema,
  withdrawResultSchema,
} from './consent-view.ts';
import {
  federationProgressSchema,
  federationTaskItemSchema,
  taskIdRequestSchema,
} from './federation-view.ts';
import {
  firstDayViewSchema,
  folderChoiceSchema,
  folderListingSchema,
  listFoldersRequestSchema,
} from './first-day-view.ts';
import {
  heldActionResultSchema,
  heldFilePolicySchema,
  heldIdRequestSchema,
  heldPreviewViewSchema,
  heldQueueViewSchema,
  releaseAsIsRequestSchema,
} from './held-view.ts';
import { settingsChangeRequestSchema, settingsViewSchema } from './settings-view.ts';
import { splitLimitsChangeSchema, splitLimitsViewSchema } from './split-limits-view.ts';
import { swarmStatusViewSchema } from './swarm-view.ts';
import {
  deviceReportSchema,
  hubCheckRequestSchema,
  hubCheckResultSchema,
  setupRequestSchema,
  setupResultSchema,
  setupStateSchema,
} from './setup-types.ts';
import { siteStatusSchema, studySourcesViewSchema } from './site-status.ts';
import {
  studyThumbnailRequestSchema,
  storedStudiesViewSchema,
  studyThumbnailViewSchema,
} from './stored-studies-view.ts';
import {
  deidReportSchema,
  headerComparisonSchema,
  headerSourceSchema,
  importFolderRequestSchema,
  importProgressRequestSchema,
  importProgressSchema,
  importStartedSchema,
} from './studies-view.ts';

/**
 * One channel: what it takes, what it answers, and how the API object offers it.
 * - `api`: `domain.method` on the API object (`federation.approve` is `window.radfed.federation.approve`).
 * - `args`: how the method's arguments make the request. Left out: the method takes none and sends no
 *   payload. `'request'`: it takes the whole request. A list of field names: it takes those fields in
 *   that order and sends an object of the ones given (a field left undefined is left out).
 */
export interface IpcChannelSpec {
  readonly request: z.ZodType;
  readonly response: z.ZodType;
  readonly api: `${string}.${string}`;
  readonly args?: 'request' | readonly string[];
}

/** The request of a channel that takes none: the payload must be absent. */
const none = z.undefined();

export const ipcContract = {
  'site:status': { request: none, response: siteStatusSchema, api: 'site.status' },
  /** The DICOM receiver and watched folder the session runs, as the setup wizard configured them. */
  'site:sources': { request: none, response: studySourcesViewSchema, api: 'site.sources' },
  /** The dashboard's first-day checklist, from the site's real state. */
  'site:first-day': { request: none, response: firstDayViewSchema, api: 'site.firstDay' },

  /** The system's folder dialog in the app; `browse` where there is none (the web UI). */
  'files:choose-folder': { request: none, response: folderChoiceSchema, api: 'files.chooseFolder' },
  /** The sub-folders of a folder on the agent's machine (the web UI's folder browser): names only. */
  'files:list-folders': {
    request: listFoldersRequestSchema,
    response: folderListingSchema,
    api: 'files.listFolders',
    args: ['path'],
  },

  'setup:state': { request: none, response: setupStateSchema, api: 'setup.state' },
  /** Reaches the hub and checks its pinned certificate and key; enrolls nothing (the token stays unused). */
  'setup:check-hub': {
    request: hubCheckRequestSchema,
    response: hubCheckResultSchema,
    api: 'setup.checkHub',
    args: 'request',
  },
  /** Which training backend and device this machine would use. */
  'setup:device': { request: none, response: deviceReportSchema, api: 'setup.device' },
  /** Creates or updates the site, saves where studies come from, and enrolls with the hub when given. */
  'setup:finish': {
    request: setupRequestSchema,
    response: setupResultSchema,
    api: 'setup.finish',
    args: 'request',
  },

  /** The hub's tasks for this site, in plain words, with their approval here. */
  'federation:tasks': { request: none, response: z.array(federationTaskItemSchema), api: 'federation.tasks' },
  /** The same review and approval as `radfed site approve --task ID --yes`. */
  'federation:approve': {
    request: taskIdRequestSchema,
    response: federationTaskItemSchema,
    api: 'federation.approve',
    args: ['taskId'],
  },
  'federation:decline': {
    request: taskIdRequestSchema,
    response: federationTaskItemSchema,
    api: 'federation.decline',
    args: ['taskId'],
  },
  /** Withdraws this site's approval of a task (audit entry); the site stops taking part in it. */
  'federation:withdraw': {
    request: taskIdRequestSchema,
    response: federationTaskItemSchema,
    api: 'federation.withdraw',
    args: ['taskId'],
  },
  'federation:progress': { request: none, response: federationProgressSchema, api: 'federation.progress' },
  /** Starts or pauses taking part in the rounds of approved tasks. */
  'federation:set-running': {
    request: z.strictObject({ running: z.boolean() }),
    response: federationProgressSchema,
    api: 'federation.setRunning',
    args: ['running'],
  },

  /** Every setting with its value, where it came from and whether IT locked it (docs/settings.md). */
  'settings:get': { request: none, response: settingsViewSchema, api: 'settings.get' },
  /** All changes or none; null resets a key; a locked key is refused with `setting-locked`. */
  'settings:set': {
    request: settingsChangeRequestSchema,
    response: settingsViewSchema,
    api: 'settings.set',
    args: ['changes'],
  },

  /** Starts importing a folder on the agent's machine; follow it with `importProgress`. */
  'studies:import-start': {
    request: importFolderRequestSchema,
    response: importStartedSchema,
    api: 'studies.importFolder',
    args: ['folder'],
  },
  'studies:import-progress': {
    request: importProgressRequestSchema,
    response: importProgressSchema,
    api: 'studies.importProgress',
    args: ['importId'],
  },
  /** The de-identification report: counts, held and rejected files with their reasons, runs. */
  'studies:report': { request: none, response: deidReportSchema, api: 'studies.report' },
  /** One instance's header before and after de-identification, identified values masked. */
  'studies:header': {
    request: headerSourceSchema,
    response: headerComparisonSchema,
    api: 'studies.header',
    args: 'request',
  },
  /** The studies the research store holds, newest first, by pseudonym only. */
  'studies:list': { request: none, response: storedStudiesViewSchema, api: 'studies.list' },
  /** A stored study's thumbnail, rendered in the agent from its de-identified research copy. */
  'studies:thumbnail': {
    request: studyThumbnailRequestSchema,
    response: studyThumbnailViewSchema,
    api: 'studies.thumbnail',
    args: ['key'],
  },

  'consent:list': { request: none, response: consentRegisterViewSchema, api: 'consent.register' },
  'consent:history': {
    request: pseudonymRequestSchema,
    response: consentHistoryViewSchema,
    api: 'consent.history',
    args: ['pseudonym'],
  },
  /** Imports a consent export (its bytes, base64): all rows, or none with a report per line. */
  'consent:import': {
    request: consentImportRequestSchema,
    response: consentImportResultSchema,
    api: 'consent.importCsv',
    args: ['csvBase64'],
  },
  /** What withdrawing this patient would purge; changes nothing. */
  'consent:withdraw-preview': {
    request: patientIdRequestSchema,
    response: withdrawPreviewSchema,
    api: 'consent.previewWithdrawal',
    args: ['patientId'],
  },
  'consent:withdraw': {
    request: patientIdRequestSchema,
    response: withdrawResultSchema,
    api: 'consent.withdraw',
    args: ['patientId'],
  },

  'audit:search': {
    request: auditQueryViewSchema,
    response: auditPageSchema,
    api: 'audit.search',
    args: 'request',
  },
  'audit:verify': { request: none, response: auditChainStatusSchema, api: 'audit.verify' },
  'audit:export-csv': { request: none, response: auditCsvExportSchema, api: 'audit.exportCsv' },

  /** The site's own tasks (what `radfed site task list` shows). */
  'cohort:tasks': { request: none, response: z.array(siteTaskViewSchema), api: 'cohort.tasks' },
  /** The same checks and record as `radfed site task add`. */
  'cohort:save-task': {
    request: saveSiteTaskRequestSchema,
    response: saveSiteTaskResultSchema,
    api: 'cohort.saveTask',
    args: 'request',
  },
  /** `radfed site labels import`, with every line not applied reported (its key never sent back). */
  'cohort:import-labels': {
    request: labelImportRequestSchema,
    response: labelImportViewSchema,
    api: 'cohort.importLabels',
    args: 'request',
  },
  /** `radfed site cohort`: counts per label and split, and what was left out and why. */
  'cohort:summary': {
    request: cohortSummaryRequestSchema,
    response: cohortViewSchema,
    api: 'cohort.summary',
    args: ['taskId'],
  },

  /** Files de-identification held back, each with its reason in plain words (main/site/held). */
  'held:list': { request: none, response: heldQueueViewSchema, api: 'held.list' },
  /** The held file's picture, rendered in the agent (pixels only, windowed, scaled down). */
  'held:preview': {
    request: heldIdRequestSchema,
    response: heldPreviewViewSchema,
    api: 'held.preview',
    args: ['id'],
  },
  /** A person checked the picture has no identifying text: released through de-identification. */
  'held:release-as-is': {
    request: releaseAsIsRequestSchema,
    response: heldActionResultSchema,
    api: 'held.releaseAsIs',
    args: ['id', 'confirmedBy'],
  },
  /** Text in the picture blanked and checked by reading it again, then released (main/site/burned-in). */
  'held:clean': {
    request: heldIdRequestSchema,
    response: heldActionResultSchema,
    api: 'held.clean',
    args: ['id'],
  },
  /** The identified copy leaves quarantine; the held entry is closed. */
  'held:delete': {
    request: heldIdRequestSchema,
    response: heldActionResultSchema,
    api: 'held.remove',
    args: ['id'],
  },
  /** The site's held-file policy; refused with `setting-locked` when IT locked it. */
  'held:set-policy': {
    request: z.strictObject({ policy: heldFilePolicySchema }),
    response: heldQueueViewSchema,
    api: 'held.setPolicy',
    args: ['policy'],
  },

  /** The swarm this site is in, from its own verified copy of the ledger (read-only). */
  'swarm:status': { request: none, response: swarmStatusViewSchema, api: 'swarm.status' },

  /** Split learning's leakage limits (site.json), each with whether IT locked it. */
  'settings:split-limits': { request: none, response: splitLimitsViewSchema, api: 'settings.splitLimits' },
  /** Saves both limits (audited); refused with `setting-locked` or `invalid-setting` in words. */
  'settings:set-split-limits': {
    request: splitLimitsChangeSchema,
    response: splitLimitsViewSchema,
    api: 'settings.setSplitLimits',
    args: 'request',
  },
} as const satisfies Record<`${string}:${string}`, IpcChannelSpec>;

export type IpcContract = typeof ipcContract;
export type IpcChannelName = keyof IpcContract;

/** What the handler of channel C receives, once the dispatcher has checked it. */
export type IpcRequest<C extends IpcChannelName> = z.output<IpcContract[C]['request']>;
/** What channel C answers. */
export type IpcResponse<C extends IpcChannelName> = z.output<IpcContract[C]['response']>;
