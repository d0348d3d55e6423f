// For the hub's homomorphic specs: a site's part through the real protocol without the site agent
// (no training stack): make or receive the task key through the hub, encrypt an update as the agent
// does (shared/node/homomorphic) and seal it for the upload, decrypt a published sum.
import { z } from 'zod';
import {
  homomorphicKeyViewSchema,
  hubPaths,
  homomorphicPaths,
  type TaskDefinition,
} from '../../../shared/federation/index.ts';
import {
  HubClient,
  importPublicKey,
  loadPrivateKey,
  sealForHub,
  sha256Hex,
  uploadContext,
  type SealedUpdate,
  type SiteEnrollment,
  verifyGlobalModel,
} from '../../../shared/node/federation/index.ts';
import {
  createTaskSecretKey,
  decodePublishedSum,
  homomorphicParameters,
  openTaskKey,
  sealTaskKey,
  SiteCipher,
  type SummationParameters,
  type TaskSecretKey,
} from '../../../shared/node/homomorphic/index.ts';

export interface TestTaskKey {
  readonly key: TaskSecretKey;
  readonly parameters: SummationParameters;
}

export class HomomorphicTestSite {
  readonly client: HubClient;

  constructor(readonly enrollment: SiteEnrollment) {
    this.client = HubClient.fromEnrollment(enrollment);
  }

  keyView(taskId: string) {
    return this.client.call(homomorphicKeyViewSchema, 'GET', homomorphicPaths.taskKey(taskId));
  }

  /** As the key's maker: a fresh key sealed to every joined site, sent to the hub. */
  async makeKey(taskId: string, definition: TaskDefinition): Promise<TestTaskKey> {
    const view = await this.keyView(taskId);
    const parameters = homomorphicParameters(definition, view.largestCohort);
    const key = await createTaskSecretKey(parameters);
    const message = sealTaskKey({
      taskId,
      parameters,
      key,
      fromSiteId: this.client.siteId,
      signingPrivateKey: loadPrivateKey(this.enrollment.signingPrivateKeyPem),
      recipients: view.sites.map((site) => ({
        siteId: site.siteId,
        exchangePublicKey: site.exchangePublicKey,
      })),
    });
    await this.client.call(z.unknown(), 'PUT', homomorphicPaths.taskKey(taskId), message);
    return { key, parameters };
  }

  /** As any other site: its box opened, after the maker's signature is checked. */
  async receiveKey(taskId: string): Promise<TestTaskKey> {
    const view = await this.keyView(taskId);
    const maker = view.sites.find((site) => site.siteId === view.makerSiteId)!;
    const opened = openTaskKey(view.message, {
      taskId,
      siteId: this.client.siteId,
      exchangePrivateKey: loadPrivateKey(this.enrollment.exchangePrivateKeyPem),
      senderSigningPublicKey: importPublicKey(maker.signingPublicKey, 'ed25519'),
    });
    return { key: opened.key, parameters: opened.parameters };
  }

  /** One encrypted update of `values`, sealed to the hub for the journey, as the agent sends it. */
  async encryptedUpdate(
    taskId: string,
    key: TestTaskKey,
    values: Float64Array,
    round: number,
    baseVersion: number,
  ): Promise<SealedUpdate> {
    const cipher = await SiteCipher.withKey(key.parameters, key.key);
    try {
      const sealed = sealForHub(
        cipher.encrypt(values),
        this.client.hub.exchangePublicKey,
        uploadContext({ taskId, round, siteId: this.client.siteId, kind: 'delta' }),
      );
      return {
        round,
        kind: 'delta',
        baseVersion,
        examples: 1,
        compression: 'none',
        siteId: this.client.siteId,
        sealed,
        sha256: sha256Hex(sealed),
      };
    } finally {
      cipher.dispose();
    }
  }

  /** A published version's encrypted sum, decrypted with the task key. */
  async decryptVersion(
    taskId: string,
    version: number,
    key: TestTaskKey,
  ): Promise<{ values: Float64Array; contributions: number }> {
    // Checked against the hub's signature like any model; decoded only with the task key.
    const meta = await this.client.getModelMeta(taskId, version);
    const bytes = (await this.client.send('GET', hubPaths.modelBlob(taskId, version))).body;
    verifyGlobalModel(meta, this.client.hub.signingPublicKey, bytes);
    const cipher = await SiteCipher.withKey(key.parameters, key.key);
    try {
      return cipher.decrypt(decodePublishedSum(bytes).frame);
    } finally {
      cipher.dispose();
    }
  }
}
