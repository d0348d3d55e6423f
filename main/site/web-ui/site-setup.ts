// The setup wizard's work on the agent's side: where the site stands, a connectivity check with the hub
// that spends nothing (the token stays unused), the training device, and applying the wizard's answers
// (create or update the site, save where studies come from, enroll with the same code as
// `radfed site enroll`). Errors keep the federation room's sentences (DNS, proxy, TLS, names, clock).
import { existsSync } from 'node:fs';
import type {
  DeviceReport,
  HubCheckRequest,
  HubCheckResult,
  SetupRequest,
  SetupResult,
  SetupState,
  StudiesSource,
} from '../../../shared/ipc/index.ts';
import {
  FederationError,
  fetchPinnedHubCa,
  hubHttp,
  hubInfoSchema,
  hubPaths,
  assertOk,
  parseBody,
  parseEnrollmentToken,
  publicKeyFingerprint,
} from '../../../shared/federation/index.ts';
import { actorFor, AuditLog } from '../audit/index.ts';
import { parseDeidOptions } from '../deid/index.ts';
import {
  enrollSiteWithHub,
  explainHubError,
  isEnrolled,
  loadEnrollment,
  proxyFor,
  SyncError,
} from '../federation/index.ts';
import {
  initSite,
  openSite,
  ReceiverSettingsSchema,
  ResearchIndex,
  sitePaths,
  writeSiteConfig,
  type SiteConfig,
} from '../store/index.ts';

export class SiteSetupError extends Error {
  constructor(
    readonly code: 'studies-already-imported' | 'invalid-setup',
    message: string,
  ) {
    super(message);
    this.name = 'SiteSetupError';
  }
}

export function readSetupState(directory: string, preset = false): SetupState {
  const paths = sitePaths(directory);
  if (!existsSync(paths.config)) {
    return { stage: 'new', directory: paths.directory, site: null, hub: null, preset };
  }
  const site = openSite(directory);
  let hasStudies: boolean;
  try {
    hasStudies = new ResearchIndex(site.database).counts().instances > 0;
  } finally {
    site.database.close();
  }
  const enrolled = isEnrolled(directory);
  const enrollment = enrolled ? loadEnrollment(directory) : null;
  return {
    stage: enrolled ? 'enrolled' : 'not-enrolled',
    directory: paths.directory,
    site: {
      name: site.config.name,
      consentPolicy: site.config.consentPolicy,
      deidOptions: [...site.config.deidOptions],
      studies: studiesSourceOf(site.config),
      hasStudies,
    },
    hub: enrollment
      ? { url: enrollment.hubUrl, name: enrollment.hub.name, siteName: enrollment.siteName }
      : null,
    preset,
  };
}

function studiesSourceOf(config: SiteConfig): StudiesSource {
  if (config.receiver) {
    const { aeTitle, port, allowedCallingAeTitles } = config.receiver;
    return { kind: 'receiver', aeTitle, port, allowedCallingAeTitles: [...allowedCallingAeTitles] };
  }
  if (config.watch) return { kind: 'watch', folder: config.watch.folder };
  return { kind: 'folder' };
}

/**
 * Reaches the hub as enrollment would (its CA certificate must carry the token's fingerprint, its signing
 * key likewise) without presenting the token, so it can be run as often as needed.
 */
export async function checkHubConnection(
  request: HubCheckRequest,
  env: NodeJS.ProcessEnv = process.env,
): Promise<HubCheckResult> {
  const token = parseEnrollmentToken(request.token);
  const hubUrl = normaliseHubUrl(request.url ?? token.hubUrl);
  const proxy = proxyFor(hubUrl, env);
  if (proxy) {
    // Pinning through a proxy's tunnel is done by enrollment itself; here only the token is checked.
    return {
      hubUrl,
      hubName: 'the hub in the token',
      viaProxy: proxy.url.host,
      sentence:
        `The token is valid. RadFed reaches ${hubUrl} through the proxy ${proxy.url.host}; the connection and the ` +
        'hub\u2019s certificate are checked when you finish the setup.',
    };
  }
  try {
    const caPem = await fetchPinnedHubCa(hubUrl, token.caFingerprint);
    const info = parseBody(
      hubInfoSchema,
      assertOk(await hubHttp({ baseUrl: hubUrl, caPem, timeoutMs: 15_000 }, 'GET', hubPaths.info)).body,
    );
    if (publicKeyFingerprint(info.signingPublicKey) !== token.signingKeyFingerprint) {
      throw new FederationError(
        'pin-mismatch',
        "The hub's signing key does not match the fingerprint in your token; do not enroll, and check with the coordinator.",
      );
    }
    return {
      hubUrl,
      hubName: info.name,
      viaProxy: null,
      sentence: `Reached the hub "${info.name}" at ${hubUrl}; its certificate and signing key match your token.`,
    };
  } catch (error) {
    throw explainHubError(error, hubUrl);
  }
}

/** The backend and device local training would use on this machine (the trainer's own choice). */
export async function detectTrainingDevice(threads?: number): Promise<DeviceReport> {
  const { selectBackend } = await import('../train/index.ts');
  const report = await selectBackend({ choice: 'auto', ...(threads ? { threads } : {}) });
  return { backend: report.name, device: report.device, notUsed: report.notUsed.map((n) => ({ ...n })) };
}

/** Applies the wizard's answers. A site made earlier is updated; enrollment comes last, so its failure leaves a usable site. */
export async function applySetup(
  directory: string,
  request: SetupRequest,
  options: { actor?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<SetupResult> {
  const actor = options.actor ?? actorFor('site-ui', request.operatorName);
  const deidOptions = parseDeidOptions(request.deidOptions);
  const done: string[] = [];
  const paths = sitePaths(directory);
  if (!existsSync(paths.config)) {
    initSite(directory, {
      name: request.siteName,
      deidOptions,
      consentPolicy: request.consentPolicy,
      actor,
      ...(request.consentScope ? { consentScope: request.consentScope } : {}),
    });
    done.push(`Created the site "${request.siteName.trim()}" in ${paths.directory}.`);
  } else {
    done.push(updateSite(directory, request, deidOptions, actor));
  }
  done.push(saveStudiesSource(directory, request.studies, actor, request.operatorName));
  if (request.hub && !isEnrolled(directory)) {
    const result = await enrollSiteWithHub({
      siteDir: directory,
      token: request.hub.token,
      actor,
      ...(request.hub.url ? { hubUrl: normaliseHubUrl(request.hub.url) } : {}),
      ...(options.env ? { env: options.env } : {}),
    });
    done.push(
      `Enrolled with the hub "${result.hubName}" at ${result.hubUrl}${result.viaProxy ? ` through the proxy ${result.viaProxy}` : ''}.`,
    );
  } else if (!request.hub && !isEnrolled(directory)) {
    done.push('Not connected to a hub yet: the site works on its own until you enroll it.');
  }
  return { state: readSetupState(directory), done };
}

function updateSite(directory: string, request: SetupRequest, deidOptions: string[], actor: string): string {
  const site = openSite(directory);
  try {
    const config = site.config;
    const sameOptions =
      config.deidOptions.length === deidOptions.length &&
      config.deidOptions.every((o) => deidOptions.includes(o));
    if (!sameOptions && new ResearchIndex(site.database).counts().instances > 0) {
      throw new SiteSetupError(
        'studies-already-imported',
        'The de-identification options cannot change once studies were imported with the current ones; keep them, or set up a new site folder.',
      );
    }
    const next: SiteConfig = {
      ...config,
      name: request.siteName.trim(),
      deidOptions,
      consentPolicy: request.consentPolicy,
      ...(request.consentScope ? { consentScope: request.consentScope } : {}),
    };
    writeSiteConfig(sitePaths(directory).config, next);
    new AuditLog(site.database).append({
      type: 'site.settings-changed',
      actor,
      detail: { name: next.name, consentPolicy: next.consentPolicy, deidOptions: [...deidOptions] },
    });
    return `Updated the site "${next.name}".`;
  } finally {
    site.database.close();
  }
}

function saveStudiesSource(
  directory: string,
  studies: StudiesSource,
  actor: string,
  operatorName: string | undefined,
): string {
  const site = openSite(directory);
  try {
    const { receiver: _receiver, watch: _watch, ...kept } = site.config;
    // The operator's name rides along with this write: the audit log names them from now on.
    const rest: SiteConfig = operatorName?.trim() ? { ...kept, operatorName: operatorName.trim() } : kept;
    let next: SiteConfig = rest;
    let sentence = 'Studies are imported by hand, from a folder (Studies page).';
    if (studies.kind === 'watch') {
      next = { ...rest, watch: { folder: studies.folder, settleSeconds: 5 } };
      sentence = `Files dropped into ${studies.folder} will be imported while the site runs.`;
    } else if (studies.kind === 'receiver') {
      const parsed = ReceiverSettingsSchema.safeParse({ ...studies, host: '0.0.0.0' });
      if (!parsed.success) {
        throw new SiteSetupError(
          'invalid-setup',
          `The DICOM receiver settings are not valid: ${parsed.error.issues[0]?.message ?? 'rejected'}.`,
        );
      }
      next = { ...rest, receiver: parsed.data };
      sentence =
        `The DICOM receiver will listen as "${studies.aeTitle}" on port ${studies.port}, ` +
        `for ${studies.allowedCallingAeTitles.join(', ')}, while the site runs.`;
    }
    writeSiteConfig(sitePaths(directory).config, next);
    new AuditLog(site.database).append({
      type: 'site.settings-changed',
      actor,
      detail: { studiesSource: studies.kind },
    });
    return sentence;
  } finally {
    site.database.close();
  }
}

function normaliseHubUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.includes('://') ? text : `https://${text}`);
  } catch {
    throw new SyncError(
      'hub-problem',
      `"${text}" is not a hub address; give it like https://hub.example.org:8443.`,
    );
  }
  if (url.protocol !== 'https:') {
    throw new SyncError(
      'hub-problem',
      `The hub speaks HTTPS only; use https://${url.host} instead of ${url.protocol}//.`,
    );
  }
  return url.origin;
}
