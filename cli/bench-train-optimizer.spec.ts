// `radfed bench train --optimizer`: SGD with momentum trains in place of Adam, and --compare-torch says
// that the PyTorch references train with Adam only instead of comparing against another optimiser.
import { describe, expect, it } from 'vitest';
import { runRadfed } from './test-cli.ts';

describe('radfed bench train --optimizer', () => {
  it('trains with SGD with momentum and says why PyTorch is not compared', async () => {
    const run = await runRadfed(
      'bench',
      'train',
      '--backend',
      'wasm',
      '--size',
      '16',
      '--batch',
      '2',
      '--batches',
      '1',
      '--epochs',
      '1',
      '--threads',
      '1',
      '--optimizer',
      'sgd-momentum',
      '--compare-torch',
      '--json',
    );
    expect(run.status).toBe(0);
    const result = JSON.parse(run.out) as {
      tfjs: { optimizer: string };
      torch?: unknown;
      torchNote?: string;
    };
    expect(result.tfjs.optimizer).toBe('sgd-momentum');
    expect(result.torch).toBeUndefined();
    expect(result.torchNote).toMatch(/train with Adam only: no PyTorch comparison for sgd-momentum/);
  }, 120_000);

  it('names the optimisers it takes', async () => {
    const run = await runRadfed('bench', 'train', '--optimizer', 'rmsprop');
    expect(run.status).toBe(2); // a usage error, as commander's other refusals
    expect(run.err).toMatch(/--optimizer takes one of adam, sgd-momentum, not "rmsprop"/);
  });
});
