// The first-day checklist as data: each step ticked from the site's real state (FirstDayView), the next
// step's action, and the warning an opt-in site needs before its first import. Pure, for tests.
import type { FirstDayView } from '../../../../shared/ipc/index.ts';

export interface FirstDayStep {
  key: 'studies' | 'consent' | 'labels' | 'approve';
  title: string;
  done: boolean;
  /** Where the step is done, and the button's words. */
  action: { label: string; href: string };
  /** What the step's state means, in words. */
  detail: string;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function firstDaySteps(view: FirstDayView): FirstDayStep[] {
  const optIn = view.consentPolicy === 'opt-in';
  const studies: FirstDayStep = {
    key: 'studies',
    title: 'Import studies',
    done: view.studies > 0,
    action: { label: 'Import studies', href: '#/studies' },
    detail:
      view.studies > 0
        ? `${plural(view.studies, 'study', 'studies')} de-identified and stored.`
        : 'No study stored yet.',
  };
  const consent: FirstDayStep = {
    key: 'consent',
    title: 'Record consent',
    done: view.consentPatients > 0 || view.consentPolicy === 'opt-out',
    action: { label: 'Record consent', href: '#/consent' },
    detail:
      view.consentPatients > 0
        ? `${plural(view.consentPatients, 'patient', 'patients')} in the consent register.`
        : optIn
          ? 'Opt-in: no patient takes part until their consent is recorded.'
          : 'Opt-out: every patient takes part unless they refuse; record refusals when there are any.',
  };
  const labels: FirstDayStep = {
    key: 'labels',
    title: 'Define what to train on and import labels',
    done: view.labelledStudies > 0,
    action: { label: 'Add labels', href: '#/training-data' },
    detail:
      view.labelledStudies > 0
        ? `${plural(view.labelledStudies, 'study', 'studies')} labelled.`
        : view.siteTasks > 0
          ? 'A task is defined; no study is labelled yet.'
          : 'No task defined yet.',
  };
  const approve: FirstDayStep = {
    key: 'approve',
    title: 'Approve a task from the hub',
    done: view.approvals > 0,
    action: view.enrolled
      ? { label: 'Review tasks', href: '#/training' }
      : { label: 'Connect to a hub', href: '#/settings' },
    detail:
      view.approvals > 0
        ? `${plural(view.approvals, 'task', 'tasks')} approved.`
        : view.enrolled
          ? 'No task approved yet.'
          : 'This site is not connected to a hub yet.',
  };
  // Opt-in: consent before studies, or the import leaves every study out.
  return optIn ? [consent, studies, labels, approve] : [studies, consent, labels, approve];
}

/** The first step not done, whose action is the checklist's main button; null when all are. */
export function nextStep(steps: readonly FirstDayStep[]): FirstDayStep | null {
  return steps.find((step) => !step.done) ?? null;
}

/**
 * A plain warning about consent and importing: before an opt-in site's first import with no consent
 * recorded, and after an import that left studies out because no consent was recorded. Null otherwise.
 */
export function consentImportWarning(view: FirstDayView): string | null {
  const { files, patients } = view.keptOutForConsent;
  if (files > 0 && view.consentPatients === 0) {
    return (
      `The last import left out ${plural(files, 'file', 'files')} of ${plural(patients, 'patient', 'patients')}` +
      `${view.studies === 0 ? ' (everything)' : ''} because no consent is recorded for them. ` +
      'Record consent on the Consent page, then import the same folder again.'
    );
  }
  if (files > 0) {
    return (
      `Imports left out ${plural(files, 'file', 'files')} of ${plural(patients, 'patient', 'patients')} who are not in by consent. ` +
      'If their consent is recorded now, import the same folder again.'
    );
  }
  if (view.consentPolicy === 'opt-in' && view.consentPatients === 0 && view.studies === 0) {
    return (
      'This site is opt-in and no consent is recorded yet: an import now would leave every study out. ' +
      'Record consent first, then import studies.'
    );
  }
  return null;
}
