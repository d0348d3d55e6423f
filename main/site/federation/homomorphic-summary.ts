// What a homomorphic task means for this site, in the approval text's plain words: what leaves the
// site (an encrypted update, larger than a plain one) and what the hub and the other sites can see.
import { homomorphicOn, type TaskDefinition } from '../../../shared/federation/index.ts';

/**
 * Bytes of one encrypted update per float32 byte of the model: 3.4 (3 sites) to 3.6 (50 sites),
 * measured by `radfed bench he` (docs/homomorphic-encryption.md, "Bytes").
 */
export const ENCRYPTED_BYTES_PER_FLOAT32_BYTE = 3.5;

/** The approval text's lines about homomorphic encryption; null when the task does not use it. */
export function describeHomomorphic(
  definition: TaskDefinition,
  modelMegabytes: (bytes: number) => string,
  modelValues: number,
): { update: string; protection: string } | null {
  if (!homomorphicOn(definition)) return null;
  const bytes = modelValues * 4 * ENCRYPTED_BYTES_PER_FLOAT32_BYTE;
  return {
    update:
      `  - per round, one model update of about ${modelMegabytes(bytes)} MB: the change to the global model, ` +
      'locked with a key that only the sites of this task hold (the hub cannot read it), its number of training images locked inside it, signed by this site;',
    protection:
      '  Updates are encrypted so that the hub can add them up without reading them: the hub sees nothing of any update, ' +
      'not even their sum, nor the model. Each site unlocks the sum and takes the step itself. Every site of this task ' +
      'holds the key, so a site that worked together with the hub could read this site\u2019s update: approve only if you trust the other sites.',
  };
}
