import { describe, expect, it } from 'vitest';
import type { FirstDayView } from '../../../../shared/ipc/index.ts';
import { consentImportWarning, firstDaySteps, nextStep } from './first-day.ts';

const view = (overrides: Partial<FirstDayView> = {}): FirstDayView => ({
  studies: 0,
  consentPolicy: 'opt-out',
  consentPatients: 0,
  keptOutForConsent: { patients: 0, files: 0 },
  siteTasks: 0,
  labelledStudies: 0,
  approvals: 0,
  enrolled: true,
  ...overrides,
});

describe('first-day checklist', () => {
  it('ticks each step from the state and offers the first one left as the next action', () => {
    const fresh = firstDaySteps(view());
    expect(fresh.map((s) => [s.key, s.done])).toEqual([
      ['studies', false],
      // Opt-out needs no consent before training.
      ['consent', true],
      ['labels', false],
      ['approve', false],
    ]);
    expect(nextStep(fresh)?.action).toEqual({ label: 'Import studies', href: '#/studies' });
    const labelled = firstDaySteps(view({ studies: 30, siteTasks: 1, labelledStudies: 30 }));
    expect(nextStep(labelled)?.key).toBe('approve');
    expect(nextStep(firstDaySteps(view({ studies: 1, labelledStudies: 1, approvals: 1 })))).toBeNull();
  });

  it('puts consent first for an opt-in site, and warns before an import that would leave everything out', () => {
    const optIn = view({ consentPolicy: 'opt-in' });
    expect(firstDaySteps(optIn).map((s) => s.key)).toEqual(['consent', 'studies', 'labels', 'approve']);
    expect(nextStep(firstDaySteps(optIn))?.action.href).toBe('#/consent');
    expect(consentImportWarning(optIn)).toBe(
      'This site is opt-in and no consent is recorded yet: an import now would leave every study out. ' +
        'Record consent first, then import studies.',
    );
  });

  it('says after an import that everything was left out for lack of consent', () => {
    expect(
      consentImportWarning(view({ consentPolicy: 'opt-in', keptOutForConsent: { patients: 3, files: 12 } })),
    ).toBe(
      'The last import left out 12 files of 3 patients (everything) because no consent is recorded for them. ' +
        'Record consent on the Consent page, then import the same folder again.',
    );
    expect(consentImportWarning(view({ studies: 4 }))).toBeNull();
  });

  it('asks to connect a hub before approving when the site is not enrolled', () => {
    const steps = firstDaySteps(view({ studies: 1, labelledStudies: 1, enrolled: false }));
    expect(nextStep(steps)?.action).toEqual({ label: 'Connect to a hub', href: '#/settings' });
  });
});
