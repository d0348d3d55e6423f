// A bad list for `radfed bench dp-curve` is refused with a sentence, before any work folder or training.
import { describe, expect, it } from 'vitest';
import { runRadfed } from './test-cli.ts';

describe('radfed bench dp-curve arguments', () => {
  it('says what --patients and --epsilons take, instead of exiting without a word', async () => {
    const patients = await runRadfed('bench', 'dp-curve', '--patients', 'abc');
    expect(patients.status).toBe(1);
    expect(patients.err).toMatch(/--patients takes positive numbers separated by commas.*\(not "abc"\)/);
    const epsilons = await runRadfed('bench', 'dp-curve', '--epsilons', '8,-1');
    expect(epsilons.status).toBe(1);
    expect(epsilons.err).toMatch(/--epsilons takes positive numbers/);
  }, 60_000);
});
