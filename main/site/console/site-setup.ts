// The setup wizard's work on the agent's side: where the site stands, a connectivity check with the hub
// that spends nothing (the token stays unused), the training device, and applying the wizard's answers
// (create or update the site, save where studies come from, enroll with the same code as
// `radfed site enroll`). Errors keep the federation room's sentences (DNS, proxy, TLS, names, clock).
import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { checkSiteName } from '../../../shared/site-name.ts';
import type {
  DeviceReport,
  SetupRequest,
  SetupResult,
  SetupState,
  StudiesSource,
} from '../../../shared/ipc/index.ts';
import { actorFor, AuditLog } from '../audit/index.ts';
import { parseDeidOptions } from '../deid/index.ts';
import { enrollSiteWithHub, isEnrolled, loadEnrollment } from '../federation/index.ts';
import { checkHubConnection, normaliseHubUrl } from './hub-check.ts';
import {
  initSite,
  openSite,
  ReceiverSettingsSchema,
  ResearchIndex,
  sitePaths,
  writeSiteConfig,
  type SiteConfig,
} from '../store/index.ts';
import { RadfedError } from '../../../shared/errors.ts';

// Kept here too: site-session.ts and older callers import the check from this module.
export { checkHubConnection };

export class SiteSetupError extends RadfedError<
  'studies-already-imported' | 'invalid-setup' | 'invalid-site-name'
> {
  override readonly name = 'SiteSetupError';
}

export function readSetupState(directory: string, preset = false): SetupState {
  const paths = sitePaths(directory);
  if (!existsSync(paths.config)) {
    return {
      stage: 'new',
      directory: paths.directory,
      site: null,
      hub: null,
      preset,
      networkAddresses: networkAddresses(),
    };
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
      consentScope: site.config.consentScope ?? null,
      deidOptions: [...site.config.deidOptions],
      studies: studiesSourceOf(site.config),
      hasStudies,
    },
    hub: enrollment
      ? { url: enrollment.hubUrl, name: enrollment.hub.name, siteName: enrollment.siteName }
      : null,
    preset,
    networkAddresses: networkAddresses(),
  };
}

/** This computer's outside addresses (IPv4 first), for IT to point the PACS at the DICOM receiver. */
export function networkAddresses(): string[] {
  const found: { address: string; v4: boolean }[] = [];
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.internal) continue;
      // Link-local IPv6 (fe80::) needs an interface suffix no PACS form accepts: leave it out.
      if (entry.family === 'IPv6' && entry.address.toLowerCase().startsWith('fe80:')) continue;
      found.push({ address: entry.address, v4: entry.family === 'IPv4' });
    }
  }
  return [...found.filter((f) => f.v4), ...found.filter((f) => !f.v4)].map((f) => f.address);
}

function studiesSourceOf(config: SiteConfig): StudiesSource {
  if (config.receiver) {
    const { aeTitle, port, allowedCallingAeTitles } = config.receiver;
    return { kind: 'receiver', aeTitle, port, allowedCallingAeTitles: [...allowedCallingAeTitles] };
  }
  if (config.watch) return { kind: 'watch', folder: config.watch.folder };
  return { kind: 'folder' };
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
  // Checked before anything is written: a name the hub would refuse must not create the site first.
  const checkedName = checkSiteName(request.siteName);
  if (!checkedName.ok) throw new SiteSetupError('invalid-site-name', checkedName.problem);
  request = { ...request, siteName: checkedName.name };
  const hubUrl = request.hub?.url ? normaliseHubUrl(request.hub.url) : undefined;
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
    done.push(`Created the site "${request.siteName}" in ${paths.directory}.`);
  } else {
    done.push(updateSite(directory, request, deidOptions, actor));
  }
  done.push(saveStudiesSource(directory, request.studies, actor, request.operatorName));
  if (request.hub && !isEnrolled(directory)) {
    const result = await enrollSiteWithHub({
      siteDir: directory,
      token: request.hub.token,
      actor,
      ...(hubUrl ? { hubUrl } : {}),
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
    // The request is the whole wanted state: a scope left empty removes the old one.
    const { consentScope: _scope, ...rest } = config;
    const next: SiteConfig = {
      ...rest,
      name: request.siteName,
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
