import { describe, expect, it } from 'vitest';
import type { CohortView, LabelImportView, SiteTaskView } from '../../../../shared/ipc/index.ts';
import {
  cohortSentence,
  EMPTY_TASK_FORM,
  formToTask,
  labelImportSentence,
  splitList,
  taskSentence,
  taskToForm,
} from './training-data-words.ts';

const stored: SiteTaskView = {
  id: 'chest-nodule',
  name: 'Lung nodule',
  labels: ['normal', 'nodule'],
  filters: { modalities: ['DX', 'CR'], studyDate: { from: '2020-01-01' } },
  validationFraction: 0.25,
  seed: 3,
  isDefault: true,
  labelledStudies: 1,
  updatedAt: '2026-01-01T00:00:00Z',
};

describe('training data words', () => {
  it('splits comma lists and leaves empty fields out of the task', () => {
    expect(splitList(' DX, ,CR ,')).toEqual(['DX', 'CR']);
    expect(
      formToTask({ ...EMPTY_TASK_FORM, id: ' t1 ', name: 'T', labels: 'a, b', validationPercent: 20 }),
    ).toEqual({ id: 't1', name: 'T', labels: ['a', 'b'], filters: {}, validationFraction: 0.2, seed: 0 });
  });

  it('turns a stored task back into the same form, and the form into the same task', () => {
    const form = taskToForm(stored);
    expect(form).toMatchObject({ labels: 'normal, nodule', modalities: 'DX, CR', validationPercent: 25 });
    const { isDefault: _d, labelledStudies: _l, updatedAt: _u, ...input } = stored;
    expect(formToTask(form)).toEqual(input);
  });

  it('says what the task trains on, and what an import did', () => {
    expect(taskSentence(stored)).toBe(
      'Labels 0 normal, 1 nodule; modality DX or CR, studies from 2020-01-01; ' +
        '25% of patients kept for validation (seed 3); 1 study labelled.',
    );
    const view: LabelImportView = {
      taskId: 't',
      key: 'accession',
      rows: 3,
      studiesLabelled: 2,
      added: 2,
      changed: 0,
      unchanged: 0,
      removed: 0,
      problems: [{ line: 4, message: 'x' }],
      duplicateLines: 0,
    };
    expect(labelImportSentence(view)).toBe(
      'Matched on accession number: 3 rows read, 2 studies labelled (2 new, 0 changed, 0 unchanged). ' +
        '1 line was not applied: see below.',
    );
  });
});

describe('cohort sentence', () => {
  it('counts each patient once, even one with studies under both labels', () => {
    // Two training patients; one has a normal and a nodule study, so the label rows add up to 3.
    const row = (label: string, index: number, patients: number) => ({
      label,
      index,
      patients,
      studies: patients,
      instances: patients,
    });
    const cohort: CohortView = {
      task: { id: 't', name: 'T', validationFraction: 0.2, seed: 0 },
      patients: { train: 2, validation: 1, total: 3 },
      train: [row('normal', 0, 2), row('nodule', 1, 1)],
      validation: [row('normal', 0, 1), row('nodule', 1, 0)],
      images: { train: 3, validation: 1 },
      excluded: [],
      held: { files: 0, studies: 0 },
    };
    expect(cohortSentence(cohort)).toBe(
      '3 images of 2 patients for training, 1 image of 1 patient for validation.',
    );
  });
});
