// `radfed demo --dp` through the real command: it runs DP fine-tuning (main/demo/dp-demo.ts), so the
// flags that ask for another run are refused with a sentence, and a size whose sites would refuse the
// task is refused before anything is synthesised, both with status 1 and no stack trace.
import { describe, expect, it } from 'vitest';
import { runRadfed } from './test-cli.ts';

describe('radfed demo --dp', () => {
  it('refuses flags that ask for another run, naming each, before anything runs', async () => {
    const run = await runRadfed('demo', '--dp', '--no-secagg', '--method', 'cyclic');
    expect(run.status).toBe(1);
    expect(run.err).toMatch(
      /radfed demo --dp runs DP fine-tuning by FedAvgM with secure aggregation, at the demo's scale: leave out --method cyclic, --no-secagg\./,
    );
    expect(run.err).not.toMatch(/\n\s+at /);
  });

  it('refuses, in words, a size whose hospitals would refuse the task, before synthesising', async () => {
    const run = await runRadfed('demo', '--dp', '--patients', '20', '--rounds', '1');
    expect(run.status).toBe(1);
    expect(run.err).toMatch(/The hospitals would refuse this task at approval: .*--patients 74/);
    expect(run.out).not.toMatch(/Estimated time|Synthesised/);
  });
});
