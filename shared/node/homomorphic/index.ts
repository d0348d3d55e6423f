// Homomorphic aggregation (issue 20): CKKS summation with Microsoft SEAL (node-seal, WebAssembly) and
// the task key's end-to-end distribution among the sites. Node only (node:crypto, and SEAL's loader);
// docs/homomorphic-encryption.md says what it protects and what it does not.
export { createTaskSecretKey, EncryptedSummation, SiteCipher, type TaskSecretKey } from './ckks-summation.ts';
export { HomomorphicError, type HomomorphicErrorCode } from './homomorphic-error.ts';
export {
  ciphertextCount,
  parametersFingerprint,
  POLY_MODULUS_DEGREE,
  SLOTS_PER_CIPHERTEXT,
  summationErrorBound,
  summationParameters,
  type SummationParameters,
} from './summation-parameters.ts';
export {
  type KeyRecipient,
  openTaskKey,
  parseTaskKeyMessage,
  sealTaskKey,
  TASK_KEY_FORMAT,
  taskKeyMessageLimit,
  type TaskKeyMessage,
} from './task-key-sharing.ts';
export {
  decodePublishedSum,
  encodePublishedSum,
  type SumReceipt,
  sumReceiptProblem,
} from './published-sum.ts';
export {
  encodingOf,
  type EncodingSettings,
  homomorphicParameters,
  homomorphicSites,
  sumFromVector,
  updateVector,
} from './task-update.ts';
