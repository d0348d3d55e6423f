// This site's copy of a homomorphic task's CKKS key. The first site to join makes the key, seals it to
// every joined site (itself included, so it can recover its copy from the hub) and sends the signed
// message through the hub; when more sites join, it re-seals the same key to all of them. Every other
// site opens its own box, after checking the maker's signature. The key is kept in the task's folder
// (readable by this site's account only) and never leaves the site except sealed to another site.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { homomorphicKeyViewSchema, homomorphicPaths } from '../../../shared/federation/index.ts';
import { importPublicKey, loadPrivateKey } from '../../../shared/node/federation/index.ts';
import {
  createTaskSecretKey,
  homomorphicParameters,
  openTaskKey,
  sealTaskKey,
  type SummationParameters,
  type TaskSecretKey,
} from '../../../shared/node/homomorphic/index.ts';
import { writeFileAtomically } from '../../../shared/node/index.ts';
import { loadEnrollment } from './enrollment-store.ts';
import { withRetries } from './retry.ts';
import type { RoundContext } from './round-work.ts';

export interface HeldTaskKey {
  readonly key: TaskSecretKey;
  readonly parameters: SummationParameters;
}

const heldSchema = z.object({
  keyId: z.string(),
  secretKey: z.string(),
  parameters: z.object({
    scheme: z.literal('ckks'),
    polyModulusDegree: z.number(),
    primeBits: z.number(),
    scaleBits: z.number(),
    maxSites: z.number(),
    valueBound: z.number(),
    securityBits: z.number(),
  }),
});

const ok = z.object({ ok: z.literal(true) });
const keyFile = (taskDir: string) => join(taskDir, 'homomorphic-key.json');

export function loadHeldTaskKey(taskDir: string): HeldTaskKey | null {
  const path = keyFile(taskDir);
  if (!existsSync(path)) return null;
  const parsed = heldSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) return null;
  return {
    key: {
      keyId: Buffer.from(parsed.data.keyId, 'base64url'),
      secretKey: Buffer.from(parsed.data.secretKey, 'base64url'),
    },
    parameters: parsed.data.parameters,
  };
}

function saveHeldTaskKey(taskDir: string, held: HeldTaskKey): void {
  const text = JSON.stringify({
    keyId: held.key.keyId.toString('base64url'),
    secretKey: Buffer.from(held.key.secretKey).toString('base64url'),
    parameters: held.parameters,
  });
  writeFileAtomically(keyFile(taskDir), text, { mode: 0o600 });
}

/**
 * Makes, re-seals or receives the task key as this site's part requires, and returns this site's
 * copy; null while the maker has not sealed the key to this site yet (the round waits for it too).
 */
export async function keepTaskKey(
  ctx: Pick<RoundContext, 'client' | 'taskId' | 'taskDir' | 'definition' | 'site' | 'retry'>,
): Promise<HeldTaskKey | null> {
  const { client, taskId } = ctx;
  const view = await withRetries(
    () => client.call(homomorphicKeyViewSchema, 'GET', homomorphicPaths.taskKey(taskId)),
    ctx.retry,
  );
  let held = loadHeldTaskKey(ctx.taskDir);
  const storedKeyId =
    view.message !== null && typeof view.message === 'object'
      ? (view.message as { keyId?: unknown }).keyId
      : undefined;
  const heldMatches = held !== null && held.key.keyId.toString('base64url') === storedKeyId;
  const enrollment = loadEnrollment(ctx.site.directory);
  if (view.message !== null && !heldMatches) {
    const maker = view.sites.find((site) => site.siteId === view.makerSiteId);
    const mine = view.message as { boxes?: { siteId: string }[] };
    if (maker && mine.boxes?.some((box) => box.siteId === client.siteId)) {
      const opened = openTaskKey(view.message, {
        taskId,
        siteId: client.siteId,
        exchangePrivateKey: loadPrivateKey(enrollment.exchangePrivateKeyPem),
        senderSigningPublicKey: importPublicKey(maker.signingPublicKey, 'ed25519'),
      });
      held = { key: opened.key, parameters: opened.parameters };
      saveHeldTaskKey(ctx.taskDir, held);
    } else if (view.makerSiteId !== client.siteId) {
      return null; // the maker has not sealed the key to this site yet
    }
  }
  if (view.makerSiteId !== client.siteId)
    return held !== null && held.key.keyId.toString('base64url') === storedKeyId ? held : null;
  if (!held) {
    // Kept before it is sent: a restart re-sends the same key rather than making another.
    const parameters = homomorphicParameters(ctx.definition, view.largestCohort);
    held = { key: await createTaskSecretKey(parameters), parameters };
    saveHeldTaskKey(ctx.taskDir, held);
  }
  if (view.message === null || view.waitingFor.length > 0) {
    const message = sealTaskKey({
      taskId,
      parameters: held.parameters,
      key: held.key,
      fromSiteId: client.siteId,
      signingPrivateKey: loadPrivateKey(enrollment.signingPrivateKeyPem),
      recipients: view.sites.map((site) => ({
        siteId: site.siteId,
        exchangePublicKey: site.exchangePublicKey,
      })),
    });
    await withRetries(() => client.call(ok, 'PUT', homomorphicPaths.taskKey(taskId), message), ctx.retry);
  }
  return held;
}
