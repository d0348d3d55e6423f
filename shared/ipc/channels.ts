// The IPC contract, written once: every channel the renderer may call, with its request and response.
// Main registers handlers against this map; the preload and the web bridge build the API object from it.
import type { SiteStatus, StudySourcesView } from './site-status.ts';
import type { FederationProgress, FederationTaskItem } from './federation-view.ts';
import type {
  DeviceReport,
  HubCheckRequest,
  HubCheckResult,
  SetupRequest,
  SetupResult,
  SetupState,
} from './setup-types.ts';
import type { SettingsChangeRequest, SettingsView } from './settings-view.ts';
import type { AuditChainStatus, AuditCsvExport, AuditPage, AuditQueryView } from './audit-view.ts';
import type {
  ConsentHistoryView,
  ConsentImportResult,
  ConsentRegisterView,
  WithdrawPreview,
  WithdrawResult,
} from './consent-view.ts';
import type { DeidReport, HeaderComparison, HeaderSource, ImportProgress } from './studies-view.ts';
import type { StoredStudiesView, StudyThumbnailView } from './stored-studies-view.ts';
import type {
  CohortView,
  LabelImportRequest,
  LabelImportView,
  SaveSiteTaskRequest,
  SaveSiteTaskResult,
  SiteTaskView,
} from './cohort-view.ts';
import type { FirstDayView, FolderChoice, FolderListing } from './first-day-view.ts';
import type { HeldActionResult, HeldFilePolicy, HeldPreviewView, HeldQueueView } from './held-view.ts';

/** Channel names, `domain:action`. Add a channel here, in `IpcContract`, in `ipcRequestSchemas` and in `RadfedApi`. */
export const IpcChannel = {
  siteStatus: 'site:status',
  siteSources: 'site:sources',
  setupState: 'setup:state',
  setupCheckHub: 'setup:check-hub',
  setupDevice: 'setup:device',
  setupFinish: 'setup:finish',
  federationTasks: 'federation:tasks',
  federationApprove: 'federation:approve',
  federationDecline: 'federation:decline',
  federationProgress: 'federation:progress',
  federationSetRunning: 'federation:set-running',
  settingsGet: 'settings:get',
  settingsSet: 'settings:set',
  studiesImportStart: 'studies:import-start',
  studiesImportProgress: 'studies:import-progress',
  studiesReport: 'studies:report',
  studiesHeader: 'studies:header',
  studiesList: 'studies:list',
  studiesThumbnail: 'studies:thumbnail',
  consentList: 'consent:list',
  consentHistory: 'consent:history',
  consentImport: 'consent:import',
  consentWithdrawPreview: 'consent:withdraw-preview',
  consentWithdraw: 'consent:withdraw',
  auditSearch: 'audit:search',
  auditVerify: 'audit:verify',
  auditExportCsv: 'audit:export-csv',
  cohortTasks: 'cohort:tasks',
  cohortSaveTask: 'cohort:save-task',
  cohortImportLabels: 'cohort:import-labels',
  cohortSummary: 'cohort:summary',
  siteFirstDay: 'site:first-day',
  filesChooseFolder: 'files:choose-folder',
  filesListFolders: 'files:list-folders',
  federationWithdraw: 'federation:withdraw',
  heldList: 'held:list',
  heldPreview: 'held:preview',
  heldReleaseAsIs: 'held:release-as-is',
  heldClean: 'held:clean',
  heldDelete: 'held:delete',
  heldSetPolicy: 'held:set-policy',
} as const;

export type IpcChannelName = (typeof IpcChannel)[keyof typeof IpcChannel];

export const IPC_CHANNEL_NAMES: readonly IpcChannelName[] = Object.freeze(Object.values(IpcChannel));

/** Request and response of each channel. `undefined` request: the call takes no argument. */
export interface IpcContract {
  'site:status': { request: undefined; response: SiteStatus };
  /** The DICOM receiver and watched folder the session runs, as the setup wizard configured them. */
  'site:sources': { request: undefined; response: StudySourcesView };
  'setup:state': { request: undefined; response: SetupState };
  /** Reaches the hub and checks its pinned certificate and key; enrolls nothing (the token stays unused). */
  'setup:check-hub': { request: HubCheckRequest; response: HubCheckResult };
  'setup:device': { request: undefined; response: DeviceReport };
  /** Creates or updates the site, saves where studies come from, and enrolls with the hub when given. */
  'setup:finish': { request: SetupRequest; response: SetupResult };
  'federation:tasks': { request: undefined; response: FederationTaskItem[] };
  /** The same review and approval as `radfed site approve --task ID --yes`. */
  'federation:approve': { request: { taskId: string }; response: FederationTaskItem };
  'federation:decline': { request: { taskId: string }; response: FederationTaskItem };
  'federation:progress': { request: undefined; response: FederationProgress };
  'federation:set-running': { request: { running: boolean }; response: FederationProgress };
  'settings:get': { request: undefined; response: SettingsView };
  /** All changes or none; a locked key is refused with `setting-locked`. */
  'settings:set': { request: SettingsChangeRequest; response: SettingsView };
  'studies:import-start': { request: { folder: string }; response: { importId: string } };
  'studies:import-progress': { request: { importId: string }; response: ImportProgress };
  'studies:report': { request: undefined; response: DeidReport };
  'studies:header': { request: HeaderSource; response: HeaderComparison };
  /** The studies the research store holds, newest first, by pseudonym only. */
  'studies:list': { request: undefined; response: StoredStudiesView };
  /** A stored study's thumbnail, rendered in the agent from its de-identified research copy. */
  'studies:thumbnail': { request: { key: string }; response: StudyThumbnailView };
  'consent:list': { request: undefined; response: ConsentRegisterView };
  'consent:history': { request: { pseudonym: string }; response: ConsentHistoryView };
  /** The consent export's bytes, base64: read by the page from a file the person picked. */
  'consent:import': { request: { csvBase64: string }; response: ConsentImportResult };
  'consent:withdraw-preview': { request: { patientId: string }; response: WithdrawPreview };
  'consent:withdraw': { request: { patientId: string }; response: WithdrawResult };
  'audit:search': { request: AuditQueryView; response: AuditPage };
  'audit:verify': { request: undefined; response: AuditChainStatus };
  'audit:export-csv': { request: undefined; response: AuditCsvExport };
  /** The site's own tasks (what `radfed site task list` shows). */
  'cohort:tasks': { request: undefined; response: SiteTaskView[] };
  /** The same checks and record as `radfed site task add`. */
  'cohort:save-task': { request: SaveSiteTaskRequest; response: SaveSiteTaskResult };
  /** `radfed site labels import`, with every line not applied reported (its key never sent back). */
  'cohort:import-labels': { request: LabelImportRequest; response: LabelImportView };
  /** `radfed site cohort`: counts per label and split, and what was left out and why. */
  'cohort:summary': { request: { taskId?: string }; response: CohortView };
  /** The dashboard's first-day checklist, from the site's real state. */
  'site:first-day': { request: undefined; response: FirstDayView };
  /** The system's folder dialog in the app; `browse` where there is none (the web UI). */
  'files:choose-folder': { request: undefined; response: FolderChoice };
  /** The sub-folders of a folder on the agent's machine (the web UI's folder browser): names only. */
  'files:list-folders': { request: { path?: string }; response: FolderListing };
  /** Withdraws this site's approval of a task (audit entry); the site stops taking part in it. */
  'federation:withdraw': { request: { taskId: string }; response: FederationTaskItem };
  /** Files de-identification held back, each with its reason in plain words (main/site/held). */
  'held:list': { request: undefined; response: HeldQueueView };
  /** The held file's picture, rendered in the agent (pixels only, windowed, scaled down). */
  'held:preview': { request: { id: number }; response: HeldPreviewView };
  /** A person checked the picture has no identifying text: released through de-identification. */
  'held:release-as-is': { request: { id: number; confirmedBy: string }; response: HeldActionResult };
  /** Text in the picture blanked and checked by reading it again, then released (main/site/burned-in). */
  'held:clean': { request: { id: number }; response: HeldActionResult };
  /** The identified copy leaves quarantine; the held entry is closed. */
  'held:delete': { request: { id: number }; response: HeldActionResult };
  /** The site's held-file policy; refused with `setting-locked` when IT locked it. */
  'held:set-policy': { request: { policy: HeldFilePolicy }; response: HeldQueueView };
}

export type IpcRequest<C extends IpcChannelName> = IpcContract[C]['request'];
export type IpcResponse<C extends IpcChannelName> = IpcContract[C]['response'];

export function isIpcChannelName(value: unknown): value is IpcChannelName {
  return typeof value === 'string' && (IPC_CHANNEL_NAMES as readonly string[]).includes(value);
}
