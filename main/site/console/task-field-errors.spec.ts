// The task form's problems, field by field: real issues from the cohort room's own schema mapped to the
// form's fields in plain words (no JSON paths such as "filters.studyDate.from", no file names).
import { describe, expect, it } from 'vitest';
import { TaskDefinitionSchema } from '../cohort/index.ts';
import { SITE_TASK_LIMITS, VALIDATION_PERCENT_MAX } from '../../../shared/site-rules.ts';
import { taskFieldErrors } from './task-field-errors.ts';

const issuesOf = (task: unknown) => {
  const parsed = TaskDefinitionSchema.safeParse(task);
  if (parsed.success) throw new Error('expected the task to be refused');
  return parsed.error.issues;
};

const valid = { id: 'chest-nodule', name: 'Lung nodule', labels: ['normal', 'nodule'] };

describe('taskFieldErrors', () => {
  it('puts each problem beside its own field', () => {
    const errors = taskFieldErrors(
      issuesOf({
        ...valid,
        id: 'Chest Nodule',
        labels: ['normal', 'Normal'],
        filters: {
          modalities: ['not a code!'],
          bodyParts: ['x'.repeat(30)],
          studyDate: { from: '2021-01-01', to: '2020-01-01' },
        },
        seed: -1,
      }),
      'Chest Nodule',
    );
    expect(Object.keys(errors).sort()).toEqual(['bodyParts', 'dateTo', 'id', 'labels', 'modalities', 'seed']);
    expect(errors.labels).toBe('Give each label once (capitals do not make a new label).');
    expect(errors.dateTo).toBe('The last date is before the first date: swap them.');
    expect(errors.seed).toBe('Use a whole number, 0 or more.');
  });

  it('asks for an empty ID rather than calling it malformed, and never quotes a path or a file', () => {
    const errors = taskFieldErrors(issuesOf({ id: '', name: '', labels: [] }), '');
    expect(errors).toEqual({
      id: 'Give the task a short ID, e.g. chest-nodule.',
      name: 'Give the task a name people will recognise, e.g. Lung nodule.',
      labels: 'Give at least two labels, separated by commas, in class order: e.g. normal, nodule.',
    });
    const all = JSON.stringify(
      taskFieldErrors(
        issuesOf({ ...valid, filters: { studyDate: { from: '2020-13-01' } }, validationFraction: 2 }),
      ),
    );
    expect(all).not.toMatch(/filters|studyDate|validationFraction|README|\.ts\b/);
  });

  it('holds the validation share to the one limit the form, the agent and the sentence share (0.9)', () => {
    expect(SITE_TASK_LIMITS.validationFractionMax).toBe(0.9);
    expect(VALIDATION_PERCENT_MAX).toBe(90);
    const atMost = { ...valid, validationFraction: SITE_TASK_LIMITS.validationFractionMax };
    expect(TaskDefinitionSchema.safeParse(atMost).success).toBe(true);
    const errors = taskFieldErrors(issuesOf({ ...valid, validationFraction: 0.95 }));
    expect(errors).toEqual({ validationPercent: 'Keep between 0 and 90 % of patients for validation.' });
  });
});
