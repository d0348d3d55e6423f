// What the coordinator is told of a homomorphic task: the dashboard's privacy panel says the model is
// encrypted, and an encrypted version cannot be exported from the hub (only the sites can read it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { encodeWeights } from '../../shared/federation/index.ts';
import { taskDetail } from '../dashboard/index.ts';
import { openHubContext } from '../hub-context.ts';
import { insertModelRow } from '../model-registry.ts';
import { exportModel } from '../model-export.ts';
import { initHub } from '../setup/index.ts';
import { createTask } from '../tasks.ts';
import { testTask, testWeights } from '../testing/test-hub.ts';

const root = mkdtempSync(join(tmpdir(), 'radfed-he-dashboard-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const encrypted = testTask({ privacy: { homomorphic: true } });

it('says the model is encrypted, and refuses to export an encrypted version, saying where to', async () => {
  const dir = join(root, 'hub');
  await initHub({ dir });
  const ctx = openHubContext(dir);
  try {
    const taskId = (await createTask(ctx, encrypted, encodeWeights(testWeights(3)))).id;
    const panel = (await taskDetail(ctx, taskId)).privacy.secureAggregation;
    expect(panel).toMatch(/^off: homomorphic encryption instead/);
    expect(panel).toContain('never sees an update, their sum or the model');
    const plain = (await createTask(ctx, testTask(), encodeWeights(testWeights(3)))).id;
    expect((await taskDetail(ctx, plain)).privacy.secureAggregation).not.toContain('homomorphic');
    // Version 1 of a homomorphic task is an encrypted sum: any bytes stand for it here.
    const sha256 = await ctx.store.blobs.put(Buffer.from('RHE1 an encrypted sum'));
    await ctx.store.transaction((tx) =>
      insertModelRow(ctx, tx, { taskId, version: 1, round: 1, sha256, bytes: 21 }),
    );
    await expect(exportModel(ctx, { task: taskId, outDir: join(root, 'out'), version: 1 })).rejects.toThrow(
      /encrypted with a key only its sites hold: export the model at a site/,
    );
    // Version 0, the random initial weights, is the one plain model the hub holds.
    expect(
      (await exportModel(ctx, { task: taskId, outDir: join(root, 'out0'), version: 0 })).missing,
    ).toHaveLength(1);
  } finally {
    await ctx.store.close();
  }
});
