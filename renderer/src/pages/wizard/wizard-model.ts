// The setup wizard's answers, what each step requires, and the request they become. Pure, so the
// rules are tested without a browser; the screens only show them.
import type { SetupRequest, SetupState } from '../../../../shared/ipc/index.ts';

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
}

/** The PS3.15 options a site may add to the Basic Profile, in plain words. */
export const DEID_CHOICES: readonly { name: string; title: string; explanation: string }[] = [
  {
    name: 'clean-descriptors',
    title: 'Clean descriptions and comments',
    explanation:
      'Keeps study and series descriptions, but removes names and numbers found in them. Without it they are removed entirely.',
  },
  {
    name: 'clean-structured-content',
    title: 'Clean structured reports',
    explanation: 'Keeps structured reports (measurements, findings) with identifying text removed.',
  },
  {
    name: 'clean-graphics',
    title: 'Clean graphics and overlays',
    explanation: 'Keeps annotations drawn on images, with any text in them removed.',
  },
  {
    name: 'retain-patient-characteristics',
    title: 'Keep age, sex, height and weight',
    explanation:
      'Useful for research on these factors; together with rare findings they can help re-identify someone.',
  },
  {
    name: 'retain-long-modified-dates',
    title: 'Keep dates, shifted per patient',
    explanation:
      'Dates move by the same secret number of days for each patient, so intervals between studies stay true.',
  },
  {
    name: 'retain-long-full-dates',
    title: 'Keep the real dates',
    explanation:
      'Only when your ethics approval allows it: real dates are identifying. Not with shifted dates.',
  },
  {
    name: 'retain-device-identity',
    title: 'Keep the scanner identity',
    explanation: 'Keeps scanner make, model and serial number, which can matter for image quality research.',
  },
  {
    name: 'retain-institution-identity',
    title: 'Keep the hospital identity',
    explanation: 'Keeps the institution name and department in the images.',
  },
  {
    name: 'retain-uids',
    title: 'Keep the original UIDs',
    explanation: 'Keeps study and image identifiers as they are in your PACS; they can be traced back there.',
  },
  {
    name: 'retain-safe-private',
    title: 'Keep safe private attributes',
    explanation: 'Keeps vendor-specific attributes known to hold no identity; all others are removed.',
  },
];

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
  };
}

/** Pre-fills the answers from a site made earlier (the wizard then continues with the hub). */
export function answersFrom(state: SetupState): WizardAnswers {
  const answers = emptyAnswers();
  const site = state.site;
  if (!site) return answers;
  answers.siteName = site.name;
  answers.consentPolicy = site.consentPolicy === 'not-set' ? '' : site.consentPolicy;
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
      return a.siteName.trim() === '' ? 'Give the site a name, e.g. "St Mary Radiology".' : null;
    case 'hub':
      if (a.enrollLater) return null;
      if (a.token.trim() === '')
        return 'Paste the enrollment token from the coordinator, or choose to connect later.';
      return a.token.trim().startsWith('rft1.')
        ? null
        : 'An enrollment token starts with "rft1."; copy the whole token.';
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
