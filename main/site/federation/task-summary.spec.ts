import { describe, expect, it } from 'vitest';
import { testTaskView } from '../../../hub/testing/test-hub.ts';
import type { TaskDefinitionInput } from '../../../shared/federation/index.ts';
import { describeTask } from './task-summary.ts';

function summary(optimizer: TaskDefinitionInput['optimizer']): string {
  const view = testTaskView({ optimizer }, { privacyBudget: null });
  return describeTask({ view, hubUrl: 'https://hub.test', modelValues: 1000, cohort: null }).join('\n');
}

describe('task summary: local training', () => {
  it('states the learning rate, and its decay over the rounds when the task asks for one', () => {
    const constant = summary({ name: 'adam', learningRate: 0.002 });
    expect(constant).toContain('Adam at learning rate 0.002.');
    expect(constant).not.toContain('lowered');
    const cosine = summary({ name: 'adam', learningRate: 0.002, schedule: 'cosine' });
    expect(cosine).toContain('Adam at learning rate 0.002, lowered round by round to 5% of it by the last.');
  });
});
