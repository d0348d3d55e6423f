// The setup wizard explains each de-identification option in its own words (the renderer cannot import
// the agent): this keeps its list and the agent's the same.
import { describe, expect, it } from 'vitest';
import { DEID_CHOICES } from '../../../renderer/src/pages/wizard/wizard-model.ts';
import { DEID_OPTIONS } from '../deid/index.ts';

describe('setup wizard de-identification choices', () => {
  it('explain exactly the options the agent knows', () => {
    expect(DEID_CHOICES.map((choice) => choice.name).sort()).toEqual([...DEID_OPTIONS].sort());
    for (const choice of DEID_CHOICES) expect(choice.explanation.length).toBeGreaterThan(20);
  });
});
