// `radfed hub model list` marks the best version by the sites' federated evaluation (the highest AUC,
// here the middle version, not the latest), in text and in --json.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWeights } from '../shared/federation/index.ts';
import { createTask, initHub, insertModelRow, openHubContext, storeModelBlob } from '../hub/index.ts';
import { testTask, testWeights } from '../hub/testing/test-hub.ts';
import { runRadfed } from './test-cli.ts';

let root: string;
let dir: string;
let taskId: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'radfed-model-list-'));
  dir = join(root, 'hub');
  await initHub({ dir, name: 'cli hub' });
  const ctx = openHubContext(dir);
  try {
    const task = await createTask(ctx, testTask({ name: 'best of three' }), encodeWeights(testWeights(1)));
    taskId = task.id;
    const blob = await storeModelBlob(ctx, testWeights(2));
    for (const version of [1, 2])
      await insertModelRow(ctx, ctx.store, { taskId, version, round: version, ...blob });
    // Evaluations as sites report them; the token and site rows are needed for the foreign keys.
    await ctx.store.sites.insertToken({
      id: 'tok_a',
      secret_sha256: 'a'.repeat(64),
      site_name: null,
      created_at: '2026-01-01T00:00:00Z',
      expires_at: '2026-01-02T00:00:00Z',
    });
    await ctx.store.sql.run(
      `INSERT INTO sites (id, name, signing_public_key, exchange_public_key, token_id, enrolled_at)
       VALUES ('site_a', 'Ash', 'k1', 'x1', 'tok_a', '2026-01-01T00:00:00Z')`,
    );
    for (const [version, auc] of [
      [0, 0.5],
      [1, 0.81],
      [2, 0.74],
    ] as const) {
      await ctx.store.models.upsertEvaluation({
        task_id: taskId,
        version,
        site_id: 'site_a',
        loss: 0.5,
        accuracy: 0.7,
        auc,
        n: 10,
        created_at: '2026-01-01T00:00:00Z',
      });
    }
  } finally {
    await ctx.store.close();
  }
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('radfed hub model list', () => {
  it('marks the version with the highest federated AUC as the best', async () => {
    const run = await runRadfed('hub', 'model', 'list', '--dir', dir, '--task', taskId);
    expect(run.status).toBe(0);
    const lines = run.out.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^v1 .*AUC 0\.810 .*← best \(highest AUC\)$/);
    expect(lines.filter((line) => line.includes('best'))).toHaveLength(1);
    const json = await runRadfed('hub', 'model', 'list', '--dir', dir, '--task', taskId, '--json');
    const models = JSON.parse(json.out) as { version: number; best: boolean }[];
    expect(models.map((m) => m.best)).toEqual([false, true, false]);
  });
});
