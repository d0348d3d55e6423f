// Swarm learning's method record is registered (the swarm's members run it, main/site/swarm), and a
// hub cannot combine for it: the hub refuses a swarm task at creation with the record's sentence.
import { describe, expect, it } from 'vitest';
import { federationMethod, taskDefinitionSchema } from '../shared/federation/index.ts';
import { checkTaskDefinition } from './task-checks.ts';
import { testTask } from './testing/test-hub.ts';

describe('a swarm task', () => {
  it('parses, names an elected member as its combiner and says so in the approval text', () => {
    const definition = taskDefinitionSchema.parse(testTask({ strategy: { name: 'swarm' } }));
    const method = federationMethod(definition.strategy);
    expect(method.combiner).toBe('elected-site');
    expect(method.combine.input).toBe('sum');
    expect(method.privacy.secureAggregation.allowed).toBe(true);
    expect(method.site.describe()).toMatch(/there is no hub; .* learns only their sum/);
  });

  it('is refused by the hub at creation, with the sentence that says where it runs', () => {
    const check = checkTaskDefinition(testTask({ strategy: { name: 'swarm' } }));
    expect(check.ok).toBe(false);
    expect(check.ok ? [] : check.problems).toEqual([
      { path: 'strategy', message: expect.stringMatching(/radfed swarm/) as unknown },
    ]);
  });
});
