// Homomorphic aggregation at the hub (CKKS; docs/homomorphic-encryption.md): the task key carried
// blind between the sites, encrypted uploads checked without decrypting, and the encrypted sum
// published as the round's model.
export {
  encryptedSumCapacity,
  encryptedSumFull,
  encryptedUpdateProblem,
  encryptedUploadLimit,
  prepareEncryptedCheck,
} from './encrypted-round.ts';
export { publishEncryptedRound } from './encrypted-publish.ts';
export { keyMakerOf, storeTaskKey, taskKeyReady, taskKeyView } from './task-key.ts';
export { TaskKeyRows, type TaskKeyRow } from './key-rows.ts';
