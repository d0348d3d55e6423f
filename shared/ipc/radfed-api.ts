// The one object the renderer talks to the agent through: `window.radfed` from the Electron preload,
// or the web bridge's object in the local web UI. Both build it here from a plain `invoke`, so the
// two transports cannot drift apart.
import { IpcChannel, type IpcChannelName, type IpcRequest, type IpcResponse } from './channels.ts';
import { isIpcResult, type IpcErrorCode, type IpcResult } from './result.ts';
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
import type { SettingsView, SettingValue } from './settings-view.ts';
import type { AuditChainStatus, AuditCsvExport, AuditPage, AuditQueryView } from './audit-view.ts';
import type {
  ConsentHistoryView,
  ConsentImportResult,
  ConsentRegisterView,
  WithdrawPreview,
  WithdrawResult,
} from './consent-view.ts';
import type { DeidReport, HeaderComparison, HeaderSource, ImportProgress } from './studies-view.ts';
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
import type { StoredStudiesView, StudyThumbnailView } from './stored-studies-view.ts';

export interface RadfedApi {
  readonly site: {
    /** Counts and settings of this site. */
    status(): Promise<SiteStatus>;
    /** The DICOM receiver and watched folder this session runs, with counts since start. */
    sources(): Promise<StudySourcesView>;
    /** The first-day checklist's facts: studies, consent, labels, approvals. */
    firstDay(): Promise<FirstDayView>;
  };
  readonly files: {
    /** The system's folder dialog (app), or `browse`: use `listFolders` (web UI). */
    chooseFolder(): Promise<FolderChoice>;
    /** Sub-folders of a folder on the agent's machine; the home folder when none is given. */
    listFolders(path?: string): Promise<FolderListing>;
  };
  readonly setup: {
    /** Whether the site exists and is enrolled, with its settings (for the wizard). */
    state(): Promise<SetupState>;
    checkHub(request: HubCheckRequest): Promise<HubCheckResult>;
    /** Which training backend and device this machine would use. */
    device(): Promise<DeviceReport>;
    finish(request: SetupRequest): Promise<SetupResult>;
  };
  readonly federation: {
    /** The hub's tasks for this site, in plain words, with their approval here. */
    tasks(): Promise<FederationTaskItem[]>;
    approve(taskId: string): Promise<FederationTaskItem>;
    decline(taskId: string): Promise<FederationTaskItem>;
    /** Withdraws an approval: the site stops taking part in that task (audit entry). */
    withdraw(taskId: string): Promise<FederationTaskItem>;
    progress(): Promise<FederationProgress>;
    /** Starts or pauses taking part in the rounds of approved tasks. */
    setRunning(running: boolean): Promise<FederationProgress>;
  };
  readonly settings: {
    /** Every setting with its value, where it came from and whether IT locked it (docs/settings.md). */
    get(): Promise<SettingsView>;
    /** Changes settings, all or none; null resets a key. Refuses a locked key (code `setting-locked`). */
    set(changes: Record<string, SettingValue>): Promise<SettingsView>;
  };
  readonly studies: {
    /** Starts importing a folder on the agent's machine; follow it with `importProgress`. */
    importFolder(folder: string): Promise<{ importId: string }>;
    importProgress(importId: string): Promise<ImportProgress>;
    /** The de-identification report: counts, held and rejected files with their reasons, runs. */
    report(): Promise<DeidReport>;
    /** One instance's header before and after de-identification, identified values masked. */
    header(source: HeaderSource): Promise<HeaderComparison>;
    /** The studies the research store holds, newest first. */
    list(): Promise<StoredStudiesView>;
    /** A stored study's thumbnail (PNG), rendered in the agent from the de-identified copy. */
    thumbnail(key: string): Promise<StudyThumbnailView>;
  };
  readonly consent: {
    register(): Promise<ConsentRegisterView>;
    history(pseudonym: string): Promise<ConsentHistoryView>;
    /** Imports a consent export (its bytes, base64): all rows, or none with a report per line. */
    importCsv(csvBase64: string): Promise<ConsentImportResult>;
    /** What withdrawing this patient would purge; changes nothing. */
    previewWithdrawal(patientId: string): Promise<WithdrawPreview>;
    withdraw(patientId: string): Promise<WithdrawResult>;
  };
  readonly audit: {
    search(query: AuditQueryView): Promise<AuditPage>;
    verify(): Promise<AuditChainStatus>;
    exportCsv(): Promise<AuditCsvExport>;
  };
  readonly cohort: {
    /** The site's own tasks: label set, filters, validation split, labelled studies. */
    tasks(): Promise<SiteTaskView[]>;
    saveTask(request: SaveSiteTaskRequest): Promise<SaveSiteTaskResult>;
    /** Imports a labels CSV (its bytes, base64); lines not applied are reported by number. */
    importLabels(request: LabelImportRequest): Promise<LabelImportView>;
    /** The task's cohort: counts per label and split, exclusions with their reasons. */
    summary(taskId?: string): Promise<CohortView>;
  };
  readonly held: {
    /** Files held back by de-identification, with their reasons in plain words, and the site's policy. */
    list(): Promise<HeldQueueView>;
    /** The held file's picture, rendered in the agent (pixels only). */
    preview(id: number): Promise<HeldPreviewView>;
    /** Releases it through de-identification once `confirmedBy` checked the picture has no text. */
    releaseAsIs(id: number, confirmedBy: string): Promise<HeldActionResult>;
    /** Blanks the text in the picture, reads it again, and releases it if none is left. */
    clean(id: number): Promise<HeldActionResult>;
    /** Deletes the identified copy from quarantine. */
    remove(id: number): Promise<HeldActionResult>;
    /** Sets what ingest does with images held for text in the picture (refused when IT locked it). */
    setPolicy(policy: HeldFilePolicy): Promise<HeldQueueView>;
  };
}

/** Sends one request over a transport and resolves with the envelope the other side answered. */
export type IpcInvoke = (channel: IpcChannelName, payload: unknown) => Promise<unknown>;

/** What an API call throws when the agent answers `ok: false`: `message` is a sentence for a person. */
export class RadfedApiError extends Error {
  constructor(
    readonly code: IpcErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RadfedApiError';
  }
}

export function createRadfedApi(invoke: IpcInvoke): RadfedApi {
  async function call<C extends IpcChannelName>(channel: C, payload: IpcRequest<C>): Promise<IpcResponse<C>> {
    const answer: unknown = await invoke(channel, payload);
    if (!isIpcResult(answer)) {
      throw new RadfedApiError(
        'bad-response',
        'The site agent gave an answer this screen cannot read. Restart RadFed; if it happens again, check that the app and the agent are the same version.',
      );
    }
    const result = answer as IpcResult<IpcResponse<C>>;
    if (!result.ok) throw new RadfedApiError(result.error.code, result.error.message);
    return result.value;
  }

  return Object.freeze({
    site: Object.freeze({
      status: () => call(IpcChannel.siteStatus, undefined),
      sources: () => call(IpcChannel.siteSources, undefined),
      firstDay: () => call(IpcChannel.siteFirstDay, undefined),
    }),
    files: Object.freeze({
      chooseFolder: () => call(IpcChannel.filesChooseFolder, undefined),
      listFolders: (path?: string) => call(IpcChannel.filesListFolders, path === undefined ? {} : { path }),
    }),
    setup: Object.freeze({
      state: () => call(IpcChannel.setupState, undefined),
      checkHub: (request: HubCheckRequest) => call(IpcChannel.setupCheckHub, request),
      device: () => call(IpcChannel.setupDevice, undefined),
      finish: (request: SetupRequest) => call(IpcChannel.setupFinish, request),
    }),
    federation: Object.freeze({
      tasks: () => call(IpcChannel.federationTasks, undefined),
      approve: (taskId: string) => call(IpcChannel.federationApprove, { taskId }),
      decline: (taskId: string) => call(IpcChannel.federationDecline, { taskId }),
      withdraw: (taskId: string) => call(IpcChannel.federationWithdraw, { taskId }),
      progress: () => call(IpcChannel.federationProgress, undefined),
      setRunning: (running: boolean) => call(IpcChannel.federationSetRunning, { running }),
    }),
    settings: Object.freeze({
      get: () => call(IpcChannel.settingsGet, undefined),
      set: (changes: Record<string, SettingValue>) => call(IpcChannel.settingsSet, { changes }),
    }),
    studies: Object.freeze({
      importFolder: (folder: string) => call(IpcChannel.studiesImportStart, { folder }),
      importProgress: (importId: string) => call(IpcChannel.studiesImportProgress, { importId }),
      report: () => call(IpcChannel.studiesReport, undefined),
      header: (source: HeaderSource) => call(IpcChannel.studiesHeader, source),
      list: () => call(IpcChannel.studiesList, undefined),
      thumbnail: (key: string) => call(IpcChannel.studiesThumbnail, { key }),
    }),
    consent: Object.freeze({
      register: () => call(IpcChannel.consentList, undefined),
      history: (pseudonym: string) => call(IpcChannel.consentHistory, { pseudonym }),
      importCsv: (csvBase64: string) => call(IpcChannel.consentImport, { csvBase64 }),
      previewWithdrawal: (patientId: string) => call(IpcChannel.consentWithdrawPreview, { patientId }),
      withdraw: (patientId: string) => call(IpcChannel.consentWithdraw, { patientId }),
    }),
    audit: Object.freeze({
      search: (query: AuditQueryView) => call(IpcChannel.auditSearch, query),
      verify: () => call(IpcChannel.auditVerify, undefined),
      exportCsv: () => call(IpcChannel.auditExportCsv, undefined),
    }),
    cohort: Object.freeze({
      tasks: () => call(IpcChannel.cohortTasks, undefined),
      saveTask: (request: SaveSiteTaskRequest) => call(IpcChannel.cohortSaveTask, request),
      importLabels: (request: LabelImportRequest) => call(IpcChannel.cohortImportLabels, request),
      summary: (taskId?: string) => call(IpcChannel.cohortSummary, taskId === undefined ? {} : { taskId }),
    }),
    held: Object.freeze({
      list: () => call(IpcChannel.heldList, undefined),
      preview: (id: number) => call(IpcChannel.heldPreview, { id }),
      releaseAsIs: (id: number, confirmedBy: string) => call(IpcChannel.heldReleaseAsIs, { id, confirmedBy }),
      clean: (id: number) => call(IpcChannel.heldClean, { id }),
      remove: (id: number) => call(IpcChannel.heldDelete, { id }),
      setPolicy: (policy: HeldFilePolicy) => call(IpcChannel.heldSetPolicy, { policy }),
    }),
  });
}
