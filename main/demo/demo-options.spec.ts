// The demo's task as every demo defines it: the sites' learning rate is lowered over the last quarter of
// the rounds (the steadier end of training), and the task definition carries that to every site.
import { describe, expect, it } from 'vitest';
import { taskDefinitionSchema } from '../../shared/federation/index.ts';
import { roundLearningRate, taskSchedule } from '../site/federation/index.ts';
import { DEMO_DEFAULTS, demoTaskDefinition } from './demo-options.ts';
import { dpDemoTaskDefinition } from './demo-privacy.ts';

describe("the demo's task", () => {
  it('lowers the learning rate over the last quarter of the rounds, for the federation and its yardsticks', () => {
    const definition = taskDefinitionSchema.parse(demoTaskDefinition(DEMO_DEFAULTS));
    expect(definition.optimizer.schedule).toBe('final-decay');
    // What a site trains each round with (round-work.ts) and what the local-only and pooled models follow.
    expect(taskSchedule(definition)).toMatchObject({ kind: 'final-decay', share: 0.25 });
    expect(roundLearningRate(definition, 1)).toBe(DEMO_DEFAULTS.learningRate);
    expect(roundLearningRate(definition, 45)).toBe(DEMO_DEFAULTS.learningRate);
    expect(roundLearningRate(definition, 60)).toBeLessThan(DEMO_DEFAULTS.learningRate / 10);
    // The DP demo's task too (its yardsticks in the demo's process follow the same rates).
    const dp = taskDefinitionSchema.parse(dpDemoTaskDefinition({ ...DEMO_DEFAULTS, rounds: 20 }));
    expect(dp.optimizer.schedule).toBe('final-decay');
  });
});
