// The federation room's Node half: key pairs, signatures, sealed boxes, enrollment tokens and the
// site's HTTPS client to the hub (node:crypto, node:https, node:tls, Buffer). Shared by the hub, the
// site agent and the CLI, never the renderer; the schemas and the math are in shared/federation/.
export {
  fingerprint,
  generateExchangeKeyPair,
  generateSigningKeyPair,
  importPublicKey,
  loadPrivateKey,
  publicKeyFingerprint,
  publicKeyOf,
  rawPublicKey,
  sha256Hex,
  type KeyPairPem,
} from './keys.ts';
export { openSealed, sealForHub, uploadContext } from './sealed-box.ts';
export {
  canonicalRequest,
  CLOCK_SKEW_MS,
  SIGNATURE_HEADERS,
  signRequest,
  verifyRequestSignature,
  type RequestToSign,
} from './request-signing.ts';
export { signGlobalModel, verifyGlobalModel, type GlobalModelStatement } from './model-signing.ts';
export { signEnvelope, verifyEnvelope } from './envelope-signing.ts';
export { formatEnrollmentToken, parseEnrollmentToken, type EnrollmentToken } from './enrollment-token.ts';
export { formatPrefixedToken, MAX_TOKEN_LENGTH, parsePrefixedToken } from './prefixed-token.ts';
export { certificateFingerprint, fetchPinnedHubCa } from './hub-pinning.ts';
export {
  assertOk,
  describeConnectionError,
  hubHttp,
  type HubHttpOptions,
  type HubHttpResponse,
} from './hub-http.ts';
export {
  envelopeFor,
  sealUpdate,
  uploadSealed,
  type SealedUpdate,
  type SignedSender,
  type UploadProgress,
} from './site-upload.ts';
export {
  enrollSite,
  HubClient,
  parseBody,
  type HubClientOptions,
  type SiteEnrollment,
} from './site-client-core.ts';
