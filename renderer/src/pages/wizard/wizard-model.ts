// The setup wizard's answers, what each step requires, and the request they become. Pure, so the
// rules are tested without a browser; the screens only show them.
import type { SetupRequest, SetupState } from '../../../../shared/ipc/index.ts';
import { checkHubAddress } from '../../../../shared/hub-address.ts';
import { siteNameProblem } from '../../../../shared/site-name.ts';
import { DEID_CHOICES } from './deid-choices.ts';

export const STEPS = [
  { id: 'site', title: 'Site name' },
  { id: 'hub', title: 'Hub' },
  { id: 'studies', title: 'Studies' },
  { id: 'consent', title: 'Consent' },
  { id: 'deid', title: 'De-identification' },
  { id: 'device', title: 'Training device' },
  { id: 'summary', title: 'Summary' },
] as const;
export type StepId = (typeof STEPS)[number]['id'];

export interface WizardAnswers {
  siteName: string;
  enrollLater: boolean;
  hubUrl: string;
  token: string;
  studiesKind: 'folder' | 'watch' | 'receiver';
  watchFolder: string;
  aeTitle: string;
  port: string;
  allowedCallers: string;
  consentPolicy: '' | 'opt-in' | 'opt-out';
  consentScope: string;
  deidOptions: string[];
  /** The token and address last checked with the hub and found good (hubCheckKey); '' before. */
  hubCheckedFor: string;
}

export { DEID_CHOICES } from './deid-choices.ts';

export function emptyAnswers(): WizardAnswers {
  return {
    siteName: '',
    enrollLater: false,
    hubUrl: '',
    token: '',
    studiesKind: 'folder',
    watchFolder: '',
    aeTitle: 'RADFED',
    port: '11112',
    allowedCallers: '',
    consentPolicy: '',
    consentScope: '',
    deidOptions: [],
    hubCheckedFor: '',
  };
}

/** Pre-fills the answers from a site made earlier (the wizard then continues with the hub). */
export function answersFrom(state: SetupState): WizardAnswers {
  const answers = emptyAnswers();
  const site = state.site;
  if (!site) return answers;
  answers.siteName = site.name;
  answers.consentPolicy = site.consentPolicy === 'not-set' ? '' : site.consentPolicy;
  answers.consentScope = site.consentScope ?? '';
  answers.deidOptions = [...site.deidOptions];
  answers.studiesKind = site.studies.kind;
  if (site.studies.kind === 'watch') answers.watchFolder = site.studies.folder;
  if (site.studies.kind === 'receiver') {
    answers.aeTitle = site.studies.aeTitle;
    answers.port = String(site.studies.port);
    answers.allowedCallers = site.studies.allowedCallingAeTitles.join(', ');
  }
  return answers;
}

const AE_TITLE = /^[\x20-\x5b\x5d-\x7e]{1,16}$/;

function callers(text: string): string[] {
  return text
    .split(/[,\s]+/)
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

/** What is missing or wrong on a step, in words; null when the step may be left. */
export function stepProblem(step: StepId, a: WizardAnswers): string | null {
  switch (step) {
    case 'site':
      return siteNameProblem(a.siteName);
    case 'hub':
      if (a.enrollLater) return null;
      return hubProblem(a);
    case 'studies':
      if (a.studiesKind === 'watch' && a.watchFolder.trim() === '') return 'Name the folder to watch.';
      if (a.studiesKind === 'receiver') {
        const port = Number(a.port);
        if (!Number.isInteger(port) || port < 1 || port > 65535)
          return 'The port is a number from 1 to 65535, e.g. 11112.';
        if (!AE_TITLE.test(a.aeTitle.trim())) return 'The AE title is 1 to 16 plain characters, e.g. RADFED.';
        const list = callers(a.allowedCallers);
        if (list.length === 0) return 'Name at least one PACS or modality (its AE title) allowed to send.';
        if (!list.every((t) => AE_TITLE.test(t))) return 'Each allowed AE title is 1 to 16 plain characters.';
      }
      return null;
    case 'consent':
      return a.consentPolicy === '' ? 'Choose opt-in or opt-out, as your ethics approval says.' : null;
    case 'deid':
      return a.deidOptions.includes('retain-long-full-dates') &&
        a.deidOptions.includes('retain-long-modified-dates')
        ? 'Keep the real dates or shift them, not both.'
        : null;
    case 'device':
    case 'summary':
      return null;
  }
}

/** What is wrong with the hub step's token or address, before asking the hub (Settings uses it too). */
export function hubProblem(a: Pick<WizardAnswers, 'token' | 'hubUrl'>): string | null {
  if (a.token.trim() === '')
    return 'Paste the enrollment token from the coordinator, or choose to connect later.';
  if (!a.token.trim().startsWith('rft1.'))
    return 'An enrollment token starts with "rft1."; copy the whole token.';
  if (a.hubUrl.trim() !== '') {
    const address = checkHubAddress(a.hubUrl);
    if (!address.ok) return address.problem;
  }
  return null;
}

/** The field a step's problem belongs beside (its input's id), so the sentence is shown there. */
export function stepProblemField(step: StepId, a: WizardAnswers): string | null {
  switch (step) {
    case 'site':
      return 'site-name';
    case 'hub':
      if (a.token.trim() === '' || !a.token.trim().startsWith('rft1.')) return 'hub-token';
      return 'hub-url';
    case 'studies':
      if (a.studiesKind === 'watch') return 'watch-folder';
      if (a.studiesKind === 'receiver') {
        const port = Number(a.port);
        if (!Number.isInteger(port) || port < 1 || port > 65535) return 'port';
        if (!AE_TITLE.test(a.aeTitle.trim())) return 'ae-title';
        return 'allowed';
      }
      return null;
    case 'consent':
      return 'consent-policy';
    default:
      return null;
  }
}

/** The values a hub check answers for: a new token or address needs a new check. */
export function hubCheckKey(a: Pick<WizardAnswers, 'token' | 'hubUrl' | 'siteName'>): string {
  return JSON.stringify([a.token.trim(), a.hubUrl.trim(), a.siteName.trim()]);
}

export function toSetupRequest(a: WizardAnswers): SetupRequest {
  const studies: SetupRequest['studies'] =
    a.studiesKind === 'watch'
      ? { kind: 'watch', folder: a.watchFolder.trim() }
      : a.studiesKind === 'receiver'
        ? {
            kind: 'receiver',
            aeTitle: a.aeTitle.trim(),
            port: Number(a.port),
            allowedCallingAeTitles: callers(a.allowedCallers),
          }
        : { kind: 'folder' };
  return {
    siteName: a.siteName.trim(),
    hub: a.enrollLater
      ? null
      : { token: a.token.trim(), ...(a.hubUrl.trim() ? { url: a.hubUrl.trim() } : {}) },
    studies,
    consentPolicy: a.consentPolicy === '' ? 'opt-in' : a.consentPolicy,
    ...(a.consentScope.trim() ? { consentScope: a.consentScope.trim() } : {}),
    deidOptions: [...a.deidOptions],
  };
}

/** The answers as label/value lines for the summary step; the token itself is never shown. */
export function summaryLines(a: WizardAnswers): { label: string; value: string }[] {
  const request = toSetupRequest(a);
  const studies =
    request.studies.kind === 'watch'
      ? `Watched folder ${request.studies.folder}`
      : request.studies.kind === 'receiver'
        ? `DICOM receiver "${request.studies.aeTitle}" on port ${request.studies.port}, from ${request.studies.allowedCallingAeTitles.join(', ')}`
        : 'Imported by hand from a folder';
  const titles = new Map(DEID_CHOICES.map((c) => [c.name, c.title]));
  return [
    { label: 'Site name', value: request.siteName },
    {
      label: 'Hub',
      value: request.hub ? `Enroll with ${request.hub.url ?? 'the hub in the token'}` : 'Connect later',
    },
    { label: 'Studies', value: studies },
    {
      label: 'Consent',
      value:
        (request.consentPolicy === 'opt-in'
          ? 'Opt-in: only patients who agreed take part'
          : 'Opt-out: every patient takes part unless they refused or withdrew') +
        (request.consentScope ? ` (for ${request.consentScope})` : ''),
    },
    {
      label: 'De-identification',
      value:
        request.deidOptions.length === 0
          ? 'Basic profile only'
          : `Basic profile with: ${request.deidOptions.map((o) => titles.get(o) ?? o).join('; ')}`,
    },
  ];
}
