// Split learning's method record is registered and its settings parse; a splitfed task is created (the
// sites and the hub run its rounds: main/site/federation/splitfed-rounds.spec.ts), with label sharing
// too; label sharing with a defence it cannot use (max norm, the hijack check) is refused in words.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { federationMethod, taskDefinitionSchema } from '../shared/federation/index.ts';
import { checkTaskDefinition } from './task-checks.ts';
import { createTask } from './tasks.ts';
import { makeTestHub, testTask, type TestHub } from './testing/test-hub.ts';

let test: TestHub;
beforeAll(async () => {
  test = await makeTestHub();
});
afterAll(() => test.cleanup());

const splitTask = (strategy: object = { name: 'splitfed' }) =>
  testTask({ model: { name: 'resnet-small' }, strategy: strategy as { name: 'splitfed' } });

describe('a splitfed task', () => {
  it('parses, with float16 frames, the model\u2019s own cut points and label sharing off by default', () => {
    const definition = taskDefinitionSchema.parse(splitTask());
    expect(definition.strategy).toEqual({ name: 'splitfed', frameDtype: 'float16', labelSharing: false });
    const method = federationMethod(definition.strategy);
    expect(method.rhythm).toBe('step');
    expect(method.steps).toMatchObject({
      headAt: 'site',
      cuts: null,
      up: ['cut1-activations', 'cut2-gradient'],
    });
    expect(method.site.describe()).toMatch(/labels never leave this site/);
  });

  it('says in the approval text what label sharing gives away, when a task opts in', () => {
    const definition = taskDefinitionSchema.parse(splitTask({ name: 'splitfed', labelSharing: true }));
    const method = federationMethod(definition.strategy);
    expect(method.steps?.headAt).toBe('hub');
    expect(method.site.describe()).toMatch(/sends the label of every training image to the hub/);
    expect(method.site.describe()).toMatch(/this site runs the first layers .* and the batch.s labels/);
    expect(method.site.describe()).not.toMatch(/first and last layers|gradient at the last layers/);
  });

  it('refuses cut points that are not stage names', () => {
    const parsed = taskDefinitionSchema.safeParse(
      splitTask({ name: 'splitfed', cuts: { cut1: 'Block 1', cut2: 'block3' } }),
    );
    expect(parsed.success).toBe(false);
  });

  it('is accepted at creation, with label sharing as without, now that sites and the hub run both', async () => {
    expect(checkTaskDefinition(splitTask()).ok).toBe(true);
    const before = (await test.hub.ctx.store.tasks.listTasks()).length;
    await createTask(test.hub.ctx, splitTask({ name: 'splitfed', labelSharing: true }));
    await createTask(test.hub.ctx, splitTask());
    expect(await test.hub.ctx.store.tasks.listTasks()).toHaveLength(before + 2);
    const shared = federationMethod(
      taskDefinitionSchema.parse(splitTask({ name: 'splitfed', labelSharing: true })).strategy,
    );
    expect(shared.unavailable).toBeUndefined();
    expect(shared.steps).toMatchObject({
      headAt: 'hub',
      up: ['cut1-activations', 'labels'],
      down: ['cut1-gradient'],
    });
  });

  it('refuses label sharing with max norm or the hijack check, which would protect nothing, saying why', () => {
    const sharing = (defences: object) =>
      checkTaskDefinition(splitTask({ name: 'splitfed', labelSharing: true, defences }));
    expect(sharing({ gradientMaxNorm: true })).toEqual({
      ok: false,
      problems: [
        {
          path: 'strategy.defences.gradientMaxNorm',
          message: expect.stringMatching(/hub receives every label.*Turn max norm off/),
        },
      ],
    });
    expect(sharing({ hijackCheck: {} })).toMatchObject({
      ok: false,
      problems: [{ path: 'strategy.defences.hijackCheck' }],
    });
    // The image defences act in both modes.
    expect(
      sharing({ noPeek: { weight: 1 }, activationNoise: { clipNorm: 5, noiseMultiplier: 0.5 } }).ok,
    ).toBe(true);
    expect(checkTaskDefinition(splitTask({ name: 'splitfed', defences: { gradientMaxNorm: true } })).ok).toBe(
      true,
    );
  });

  it('refuses NoPeek with a batch above its limit, saying what to lower, and takes it at the limit', () => {
    const withNoPeek = (batchSize: number) => ({
      ...splitTask({ name: 'splitfed', defences: { noPeek: { weight: 1 } } }),
      batchSize,
    });
    expect(checkTaskDefinition(withNoPeek(1024))).toEqual({
      ok: false,
      problems: [
        {
          path: 'strategy.defences.noPeek',
          message: expect.stringMatching(/at most 512 images per batch.*Lower the batch size/),
        },
      ],
    });
    expect(checkTaskDefinition(withNoPeek(512)).ok).toBe(true);
  });
});
