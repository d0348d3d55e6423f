// A bad list for `radfed bench dp-fedavg-curve` is refused with a sentence, before any training.
import { describe, expect, it } from 'vitest';
import { runRadfed } from './test-cli.ts';

describe('radfed bench dp-fedavg-curve arguments', () => {
  it('says what --hospitals, --epsilon and --trainable take', async () => {
    const hospitals = await runRadfed('bench', 'dp-fedavg-curve', '--hospitals', '3,ten');
    expect(hospitals.status).toBe(1);
    expect(hospitals.err).toMatch(/--hospitals takes whole numbers separated by commas.*\(not "3,ten"\)/);
    const epsilon = await runRadfed('bench', 'dp-fedavg-curve', '--epsilon', '-1');
    expect(epsilon.status).toBe(1);
    expect(epsilon.err).toMatch(/--epsilon takes a positive number/);
    const layers = await runRadfed('bench', 'dp-fedavg-curve', '--trainable', 'head,tail');
    expect(layers.status).toBe(1);
    expect(layers.err).toMatch(/--trainable takes all, .*\(not "head,tail"\)/);
  }, 90_000);
});
