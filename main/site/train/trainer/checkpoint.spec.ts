// A damaged checkpoint is refused by where its state.json goes wrong, never with a piece of it: Node 20's
// JSON.parse message quotes a window of the text, which the refusal used to carry to the screen and log.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { ImageModel } from '../models/index.ts';
import { loadLatestCheckpoint } from './checkpoint.ts';

const dir = mkdtempSync(join(tmpdir(), 'radfed-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('refuses a state.json that is not JSON with its line and column, quoting none of it', async () => {
  mkdirSync(join(dir, 'epoch-1'));
  writeFileSync(join(dir, 'latest.json'), JSON.stringify({ latest: 'epoch-1', best: 'epoch-1' }));
  writeFileSync(join(dir, 'epoch-1', 'state.json'), '{\n "fingerprint": DOE^JOHN PID-7731\n}');
  // Refused before the model is touched: no model is needed to show it.
  const refusal = loadLatestCheckpoint(dir, {} as ImageModel, 'fingerprint');
  await expect(refusal).rejects.toMatchObject({
    code: 'invalid-checkpoint',
    message:
      'The checkpoint epoch-1 is damaged (its state.json goes wrong at line 2, column 17): remove the checkpoint folder to start again.',
  });
});
