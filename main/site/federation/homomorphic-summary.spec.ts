// The approval text of a homomorphic task says, in plain words, that the hub sees nothing (not even
// the sum), that the update is larger, and what the sites must trust of each other.
import { expect, it } from 'vitest';
import { testTaskView } from '../../../hub/testing/test-hub.ts';
import type { TaskDefinitionInput } from '../../../shared/federation/index.ts';
import { describeTask } from './task-summary.ts';

const text = (privacy: TaskDefinitionInput['privacy']) =>
  describeTask({
    view: testTaskView({ privacy }, { privacyBudget: null }),
    hubUrl: 'https://hub.test',
    modelValues: 1_000_000,
    cohort: null,
  }).join('\n');

it('says what the hub sees of a homomorphic task: nothing, not even the sum', () => {
  const encrypted = text({ homomorphic: true });
  expect(encrypted).toContain('the hub sees nothing of any update, not even their sum, nor the model');
  expect(encrypted).toContain('one model update of about 14 MB');
  expect(encrypted).toContain('a site that worked together with the hub could read this site\u2019s update');
  expect(encrypted).toContain('the number of training images only inside the encrypted update');
  expect(encrypted).not.toMatch(/masked|only the hub can read it|homomorphic|CKKS/);
  const plain = text({ secureAggregation: false });
  expect(plain).not.toContain('not even their sum');
  expect(plain).toContain('only the hub can read it');
});
