// `radfed demo --homomorphic`: the federation with homomorphic encryption instead of secure
// aggregation. The hub then holds only encrypted sums, so the demo reads the global models where they
// exist in the clear: in a hospital's folder, as that site decrypted them (every site decrypts the same).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeWeights, type NamedTensor } from '../../shared/federation/index.ts';
import { federationPaths } from '../site/federation/index.ts';

/** The last `count` global models a site decrypted for a task, newest first. */
export function loadLastDecryptedModels(
  siteDir: string,
  taskId: string,
  count: number,
): { version: number; weights: NamedTensor[] }[] {
  const folder = join(federationPaths(siteDir).tasks, taskId, 'decrypted-models');
  const versions = readdirSync(folder)
    .map((name) => /^v(\d+)\.rfw$/.exec(name)?.[1])
    .filter((version): version is string => version !== undefined)
    .map(Number)
    .sort((a, b) => b - a)
    .slice(0, count);
  if (versions.length === 0)
    throw new Error('The federation published no global model; see the messages above.');
  return versions.map((version) => ({
    version,
    weights: decodeWeights(readFileSync(join(folder, `v${version}.rfw`))),
  }));
}
