// The site's side of the protocol, without policy: enrollment with pinning, signed requests, model
// download (verified against the hub's signature, resumable by byte range) and update upload (sealed
// to the hub, in chunks that resume where the hub says it stopped). Retries, backoff, proxies and
// persistence of what to resume belong to the site agent built on top of this.
import { sign, type KeyObject } from 'node:crypto';
import type { Agent } from 'node:https';
import type { z } from 'zod';
import {
  FederationError,
  HubRequestError,
  aggregatedMetricsSchema,
  enrollResponseSchema,
  heartbeatResponseSchema,
  hubInfoSchema,
  hubPaths,
  joinResponseSchema,
  type JoinRequest,
  modelMetaSchema,
  roundViewSchema,
  submissionListSchema,
  submissionViewSchema,
  taskListSchema,
  taskViewSchema,
  type HeartbeatRequest,
  type HubInfo,
  type MetricsRequest,
  type ModelMeta,
  decodeWeights,
  type NamedTensor,
} from '../../federation/index.ts';
import { assertOk, hubHttp, type HubHttpOptions } from './hub-http.ts';
import { fetchPinnedHubCa } from './hub-pinning.ts';
import {
  generateExchangeKeyPair,
  generateSigningKeyPair,
  loadPrivateKey,
  publicKeyFingerprint,
} from './keys.ts';
import { verifyGlobalModel } from './model-signing.ts';
import { parseEnrollmentToken } from './enrollment-token.ts';
import { signRequest } from './request-signing.ts';
import { sealUpdate, uploadSealed, type SealedUpdate, type UploadProgress } from './site-upload.ts';

/** What a site keeps after enrolling (private keys in files of mode 0600). */
export interface SiteEnrollment {
  readonly hubUrl: string;
  readonly caPem: string;
  readonly hub: HubInfo;
  readonly siteId: string;
  readonly siteName: string;
  readonly signingPrivateKeyPem: string;
  readonly exchangePrivateKeyPem: string;
}

export interface HubClientOptions {
  readonly hubUrl: string;
  readonly caPem: string;
  readonly hub: Pick<HubInfo, 'signingPublicKey' | 'exchangePublicKey'>;
  readonly siteId: string;
  readonly signingPrivateKeyPem: string;
  readonly agent?: Agent;
  readonly timeoutMs?: number;
  /** The clock used for request timestamps (tests move it to check the hub's skew window). */
  readonly now?: () => number;
}

/** Enrolls this site with the hub a token names, pinning the hub's CA and signing key on the way. */
export async function enrollSite(options: {
  token: string;
  siteName: string;
  /** Another address for the same hub than the token's hint (the pins still apply). */
  hubUrl?: string;
  agent?: Agent;
  /**
   * Fetches the hub's CA certificate and checks it against the token's pin (default: fetchPinnedHubCa,
   * straight to the hub; a site behind an HTTPS proxy goes through the proxy's tunnel).
   */
  fetchCa?: (hubUrl: string, caFingerprint: string) => Promise<string>;
}): Promise<SiteEnrollment> {
  const token = parseEnrollmentToken(options.token);
  const hubUrl = options.hubUrl ?? token.hubUrl;
  const caPem = await (options.fetchCa ?? fetchPinnedHubCa)(hubUrl, token.caFingerprint);
  const http: HubHttpOptions = { baseUrl: hubUrl, caPem, ...(options.agent ? { agent: options.agent } : {}) };
  const hub = parseBody(hubInfoSchema, assertOk(await hubHttp(http, 'GET', hubPaths.info)).body);
  if (publicKeyFingerprint(hub.signingPublicKey) !== token.signingKeyFingerprint) {
    throw new FederationError(
      'pin-mismatch',
      "The hub's signing key does not match the fingerprint in your token; do not enroll, and check with the coordinator.",
    );
  }
  const signing = generateSigningKeyPair();
  const exchange = generateExchangeKeyPair();
  const body = Buffer.from(
    JSON.stringify({
      tokenSecret: token.secret,
      siteName: options.siteName,
      signingPublicKey: signing.publicKey,
      exchangePublicKey: exchange.publicKey,
    }),
  );
  const response = assertOk(
    await hubHttp(http, 'POST', hubPaths.enroll, body, { 'content-type': 'application/json' }),
  );
  const enrolled = parseBody(enrollResponseSchema, response.body);
  return {
    hubUrl,
    caPem,
    hub,
    siteId: enrolled.siteId,
    siteName: enrolled.siteName,
    signingPrivateKeyPem: signing.privateKeyPem,
    exchangePrivateKeyPem: exchange.privateKeyPem,
  };
}

export class HubClient {
  readonly siteId: string;
  readonly hub: HubClientOptions['hub'];
  private readonly http: HubHttpOptions;
  private readonly signingKey: KeyObject;
  private readonly now: () => number;

  constructor(options: HubClientOptions) {
    this.siteId = options.siteId;
    this.hub = options.hub;
    this.http = {
      baseUrl: options.hubUrl,
      caPem: options.caPem,
      ...(options.agent ? { agent: options.agent } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    };
    this.signingKey = loadPrivateKey(options.signingPrivateKeyPem);
    this.now = options.now ?? Date.now;
  }

  static fromEnrollment(
    enrollment: SiteEnrollment,
    extra: { agent?: Agent; now?: () => number } = {},
  ): HubClient {
    return new HubClient({
      hubUrl: enrollment.hubUrl,
      caPem: enrollment.caPem,
      hub: enrollment.hub,
      siteId: enrollment.siteId,
      signingPrivateKeyPem: enrollment.signingPrivateKeyPem,
      ...extra,
    });
  }

  /**
   * Signs `bytes` with this site's enrolled key (Ed25519): statements the site makes to other sites
   * through the hub (its secure-aggregation round keys), each starting with its own tag.
   */
  signStatement(bytes: Uint8Array): string {
    return sign(null, bytes, this.signingKey).toString('base64url');
  }

  /** One signed request; the raw response (throws HubRequestError on a non-2xx answer). */
  async send(
    method: string,
    path: string,
    body?: Uint8Array,
    contentType = 'application/json',
    extraHeaders: Record<string, string> = {},
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    const headers = {
      ...extraHeaders,
      ...signRequest({
        method,
        path,
        ...(body ? { body } : {}),
        siteId: this.siteId,
        privateKey: this.signingKey,
        now: this.now(),
      }),
      ...(body ? { 'content-type': contentType } : {}),
    };
    return assertOk(await hubHttp(this.http, method, path, body, headers));
  }

  /** A signed JSON request whose answer is validated against `schema`. */
  async call<S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    json?: unknown,
  ): Promise<z.output<S>> {
    const body = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
    return parseBody(schema, (await this.send(method, path, body)).body);
  }

  listTasks() {
    return this.call(taskListSchema, 'GET', hubPaths.tasks).then((list) => list.tasks);
  }

  getTask(taskId: string) {
    return this.call(taskViewSchema, 'GET', hubPaths.task(taskId));
  }

  /** Joins a task, declaring the site's cohort sizes for it (the hub bounds claimed examples by them). */
  joinTask(taskId: string, cohort?: JoinRequest['cohort']) {
    const request: JoinRequest = cohort ? { cohort } : {};
    return this.call(joinResponseSchema, 'POST', hubPaths.join(taskId), request);
  }

  /** The round as this site sees it; with `after`, waits up to waitSeconds for a newer revision. */
  getRound(taskId: string, wait: { after?: string; waitSeconds?: number } = {}) {
    const query = new URLSearchParams();
    if (wait.after) query.set('after', wait.after);
    if (wait.waitSeconds) query.set('wait', String(wait.waitSeconds));
    const suffix = query.size > 0 ? `?${query.toString()}` : '';
    return this.call(roundViewSchema, 'GET', `${hubPaths.round(taskId)}${suffix}`);
  }

  getModelMeta(taskId: string, version: number | 'latest'): Promise<ModelMeta> {
    return this.call(modelMetaSchema, 'GET', hubPaths.model(taskId, version));
  }

  /**
   * Downloads a global model in byte ranges (pass `resumeFrom` with what an earlier try received),
   * then checks the hub's signature and the hash before decoding it.
   */
  async downloadModel(
    taskId: string,
    version: number | 'latest',
    options: {
      chunkBytes?: number;
      resumeFrom?: Uint8Array;
      onProgress?: (received: number, total: number) => void;
    } = {},
  ): Promise<{ meta: ModelMeta; bytes: Uint8Array; weights: NamedTensor[] }> {
    const meta = await this.getModelMeta(taskId, version);
    const chunkBytes = options.chunkBytes ?? 8 * 1024 * 1024;
    const parts: Buffer[] = options.resumeFrom ? [Buffer.from(options.resumeFrom)] : [];
    let received = options.resumeFrom?.byteLength ?? 0;
    while (received < meta.bytes) {
      const end = Math.min(meta.bytes, received + chunkBytes) - 1;
      const chunk = await this.modelBlobRange(taskId, meta.version, received, end);
      if (chunk.byteLength === 0) break;
      parts.push(chunk);
      received += chunk.byteLength;
      options.onProgress?.(received, meta.bytes);
    }
    const bytes = Buffer.concat(parts);
    verifyGlobalModel(meta, this.hub.signingPublicKey, bytes);
    return { meta, bytes, weights: decodeWeights(bytes) };
  }

  /**
   * Bytes `from` to `to` (both included) of version `version`'s model blob: one chunk of a download
   * that can resume. Empty when the hub holds no more.
   */
  async modelBlobRange(taskId: string, version: number, from: number, to: number): Promise<Buffer> {
    const path = hubPaths.modelBlob(taskId, version);
    return (await this.send('GET', path, undefined, undefined, { range: `bytes=${from}-${to}` })).body;
  }

  /** Compresses, encodes and seals weights (an update's delta, or an initial model) for this hub. */
  seal(options: Omit<Parameters<typeof sealUpdate>[0], 'siteId' | 'hubExchangePublicKey'>): SealedUpdate {
    return sealUpdate({ ...options, siteId: this.siteId, hubExchangePublicKey: this.hub.exchangePublicKey });
  }

  /** Uploads a sealed update, resuming a partial upload of the same bytes that the hub already holds. */
  uploadSealed(
    taskId: string,
    sealed: SealedUpdate,
    options: { onProgress?: (progress: UploadProgress) => void; chunkBytes?: number } = {},
  ) {
    return uploadSealed(this, taskId, sealed, this.signingKey, options.onProgress, options.chunkBytes);
  }

  postMetrics(taskId: string, version: number, metrics: MetricsRequest) {
    return this.call(aggregatedMetricsSchema, 'POST', hubPaths.metrics(taskId, version), metrics);
  }

  listSubmissions(taskId: string) {
    return this.call(submissionListSchema, 'GET', hubPaths.submissions(taskId)).then(
      (list) => list.submissions,
    );
  }

  /** Tells the hub this site is alive and what it is doing (sent about once a minute, idle or not). */
  sendHeartbeat(heartbeat: HeartbeatRequest) {
    return this.call(heartbeatResponseSchema, 'POST', hubPaths.heartbeat, heartbeat);
  }

  getSubmission(submissionId: string) {
    return this.call(submissionViewSchema, 'GET', hubPaths.submission(submissionId));
  }
}

export function parseBody<S extends z.ZodType>(schema: S, body: Buffer): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new FederationError(
      'bad-response',
      'The hub sent an answer that is not JSON; is this address a RadFed hub?',
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new FederationError(
      'bad-response',
      'The hub sent an answer this version of RadFed does not understand; update RadFed at the site or the hub.',
    );
  }
  return parsed.data;
}

export { HubRequestError };
