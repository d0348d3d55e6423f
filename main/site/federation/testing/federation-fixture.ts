// For the federation tests: a real hub on a loopback port (real HTTPS) and real sites in a temporary
// folder, each with synthetic radiographs ingested through the real de-identification, a site task
// and its labels, ready to enroll, approve and train (tiny images, so a round takes seconds).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskDefinitionInput } from '../../../../shared/federation/index.ts';
import { createTask } from '../../../../hub/index.ts';
import { makeTestHub, type TestHub } from '../../../../hub/testing/test-hub.ts';
import { importLabelsFile, TaskStore } from '../../cohort/index.ts';
import { ingestPath } from '../../ingest/index.ts';
import { initSite, openSite } from '../../store/index.ts';
import { synthesizeStudies } from '../../synth/index.ts';

export const COHORT_TASK = {
  id: 'chest-nodule',
  name: 'Lung nodule on chest radiographs',
  labels: ['normal', 'nodule'],
  filters: { modalities: ['DX', 'CR'] },
  validationFraction: 0.25,
  seed: 1,
};

export interface FixtureSite {
  readonly name: string;
  readonly dir: string;
}

export interface FederationFixture {
  readonly root: string;
  readonly testHub: TestHub;
  readonly sites: FixtureSite[];
  /** Creates a task at the hub (small defaults for tests) and returns its id. */
  createTask(overrides?: Partial<TaskDefinitionInput>, initialWeights?: Uint8Array): Promise<string>;
  cleanup(): Promise<void>;
}

export function fixtureTask(overrides: Partial<TaskDefinitionInput> = {}): TaskDefinitionInput {
  return {
    name: 'nodule test',
    model: { name: 'resnet-small' },
    input: { size: 16 },
    labels: ['normal', 'nodule'],
    rounds: 1,
    localEpochs: 1,
    batchSize: 8,
    optimizer: { name: 'adam', learningRate: 0.001 },
    strategy: { name: 'fedavg' },
    quorum: 2,
    roundDeadlineSeconds: 120,
    compression: 'float16',
    ...overrides,
  };
}

export async function makeFederationFixture(
  options: { sites?: number; patients?: number; withData?: boolean; hosts?: string[] } = {},
): Promise<FederationFixture> {
  const root = mkdtempSync(join(tmpdir(), 'radfed-fed-'));
  const count = options.sites ?? 2;
  const testHub = await makeTestHub(options.hosts ? { hosts: options.hosts } : {});
  const synth =
    options.withData === false
      ? null
      : await synthesizeStudies({
          outDir: join(root, 'synth'),
          sites: count,
          patients: options.patients ?? 8,
          seed: 11,
          radiographSize: 32,
          modalities: ['RADIOGRAPH'],
        });
  const sites: FixtureSite[] = [];
  for (let i = 1; i <= count; i++) {
    const key = `site-${String(i).padStart(2, '0')}`;
    const dir = join(root, key);
    const name = `Test Site ${i}`;
    initSite(dir, { name, deidOptions: [], consentPolicy: 'opt-out' });
    if (synth) {
      const site = openSite(dir);
      try {
        await ingestPath(site, join(root, 'synth', key));
        new TaskStore(site.database).add(COHORT_TASK, { makeDefault: true });
        importLabelsFile(site, synth.labels[key]!, { task: COHORT_TASK.id });
      } finally {
        site.database.close();
      }
    }
    sites.push({ name, dir });
  }
  return {
    root,
    testHub,
    sites,
    createTask: async (overrides = {}, initialWeights) =>
      (await createTask(testHub.hub.ctx, fixtureTask(overrides), initialWeights)).id,
    cleanup: async () => {
      await testHub.cleanup();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
