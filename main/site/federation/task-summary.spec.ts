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
    const finalDecay = summary({ name: 'adam', learningRate: 0.002, schedule: 'final-decay' });
    expect(finalDecay).toContain(
      'Adam at learning rate 0.002, kept for the first 75% of the rounds, then lowered over the last 25% to 5% of it by the last.',
    );
  });
});

describe('task summary: patient-level differential privacy', () => {
  const patientDp = {
    secureAggregation: true,
    differentialPrivacy: {
      unit: 'patient' as const,
      l2NormClip: 1,
      noiseMultiplier: 1.557,
      samplingRate: 0.2,
      budget: { epsilon: 8, delta: 1e-5 },
    },
  };
  const text = (privacy: TaskDefinitionInput['privacy'], trainPatients?: number) =>
    describeTask({
      view: testTaskView({ privacy, batchSize: 8, localEpochs: 1 }, { privacyBudget: null }),
      hubUrl: 'https://hub.test',
      modelValues: 1000,
      cohort:
        trainPatients === undefined
          ? null
          : {
              taskId: 'chest',
              train: 3 * trainPatients,
              validation: 40,
              patients: trainPatients + 20,
              trainPatients,
            },
    }).join('\n');

  it('says a round is steps on a random sample of patients (q × patients), not batches of the task size', () => {
    const withCohort = text(patientDp, 600);
    expect(withCohort).not.toContain('batches of 8');
    expect(withCohort).toContain(
      'Rounds: 3; in each, 5 training steps (as much training as 1 local epoch), each on a new random sample of ' +
        'patients (about 120 of this site\u2019s 600 training patients, with all of their images) instead of batches ' +
        'of a fixed size, Adam at learning rate 0.001.',
    );
    // Before the site's cohort is known: the chance of each patient instead of a count.
    expect(text(patientDp)).toContain(
      '(each training patient of this site with a chance of 0.2, with all of their images)',
    );
  });

  it('says every site counts the same in the average, as the update carries the weight 1, never its image count', () => {
    const dp = text(patientDp, 600);
    expect(dp).not.toContain('weighted by their number of training images');
    expect(dp).toContain(
      'Strategy: FedAvg: the hub averages the sites\u2019 updates, each site\u2019s update counting the same (this ' +
        'task has differential privacy, so sites do not send their number of images).',
    );
    expect(dp).toContain('not the number of training images');
    // Without differential privacy the update carries its image count, and the text says the weighting.
    const plain = text({ secureAggregation: true }, 600);
    expect(plain).toContain('weighted by their number of training images');
    expect(plain).toContain('in batches of 8');
  });
});
