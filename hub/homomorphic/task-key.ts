// The task key at the hub: a blind carrier. The maker (the first site to join the task, so every site
// and the hub agree without a vote) seals the task's CKKS key to each joined site and sends the signed
// message here; the hub stores it and hands it to the recipients. It cannot open a box and holds no
// key: what it reads from the message is the key id, the public parameters and who may open it.
// A site that joins later waits until the maker re-seals the key to it (same key, same id); a new
// task always gets a new key (rotation per task).
import { createHash } from 'node:crypto';
import {
  homomorphicOn,
  type HomomorphicKeyView,
  type TaskDefinition,
} from '../../shared/federation/index.ts';
import {
  EncryptedSummation,
  HomomorphicError,
  parseTaskKeyMessage,
  type SummationParameters,
  type TaskKeyMessage,
} from '../../shared/node/homomorphic/index.ts';
import { isoAt, type HubContext } from '../hub-context.ts';
import { badRequest, conflict, forbidden } from '../hub-errors.ts';
import { taskChannel } from '../hub-events.ts';
import { lockKeys, type HubRows, type SiteRow, type TaskRow } from '../store/index.ts';
import { definitionOf } from '../tasks.ts';
import { TaskKeyRows } from './key-rows.ts';

const rows = (store: HubRows) => new TaskKeyRows(store.sql);

/** The first site to join makes the key (joined sites come in join order). */
export async function keyMakerOf(ctx: HubContext, taskId: string): Promise<string | null> {
  return (await ctx.store.sites.joinedSites(taskId))[0]?.site_id ?? null;
}

async function storedMessage(ctx: HubContext, taskId: string): Promise<TaskKeyMessage | null> {
  const row = await rows(ctx.store).taskKey(taskId);
  if (!row) return null;
  return parseTaskKeyMessage(JSON.parse((await ctx.store.blobs.read(row.message_sha256)).toString('utf8')));
}

/** Joined sites (other than the maker) that have no box in the stored message. */
async function sitesWaiting(ctx: HubContext, taskId: string): Promise<string[]> {
  const joined = (await ctx.store.sites.joinedSites(taskId)).map((row) => row.site_id);
  const row = await rows(ctx.store).taskKey(taskId);
  const have = new Set<string>(row ? (JSON.parse(row.recipients) as string[]) : []);
  return joined.filter((siteId, index) => index > 0 && !have.has(siteId));
}

/** Whether every joined site can encrypt: the key is stored and sealed to all of them. */
export async function taskKeyReady(ctx: HubContext, taskId: string): Promise<boolean> {
  return (
    (await rows(ctx.store).taskKey(taskId)) !== undefined && (await sitesWaiting(ctx, taskId)).length === 0
  );
}

export async function taskKeyView(ctx: HubContext, task: TaskRow, who: SiteRow): Promise<HomomorphicKeyView> {
  await requireJoinedHomomorphic(ctx, task, who);
  const joined = await ctx.store.sites.joinedSites(task.id);
  const declared = joined.map((row) => row.train_examples).filter((n): n is number => n !== null);
  const sites: HomomorphicKeyView['sites'] = [];
  for (const row of joined) {
    const site = await ctx.store.sites.site(row.site_id);
    if (site) {
      sites.push({
        siteId: site.id,
        signingPublicKey: site.signing_public_key,
        exchangePublicKey: site.exchange_public_key,
      });
    }
  }
  return {
    makerSiteId: joined[0]!.site_id,
    sites,
    largestCohort: declared.length > 0 ? Math.max(...declared) : null,
    waitingFor: await sitesWaiting(ctx, task.id),
    message: await storedMessage(ctx, task.id),
  };
}

/** Stores the maker's message (first, or re-sealed to more sites under the same key). */
export async function storeTaskKey(
  ctx: HubContext,
  task: TaskRow,
  who: SiteRow,
  body: unknown,
): Promise<void> {
  await requireJoinedHomomorphic(ctx, task, who);
  if ((await keyMakerOf(ctx, task.id)) !== who.id) {
    throw forbidden(
      'not-key-maker',
      "Another site makes this task's key (the first to join); this site receives its copy from the hub.",
    );
  }
  let message: TaskKeyMessage;
  try {
    message = parseTaskKeyMessage(body);
  } catch (error) {
    if (error instanceof HomomorphicError) throw badRequest('bad-key-message', error.message);
    throw error;
  }
  if (message.taskId !== task.id || message.fromSiteId !== who.id) {
    throw badRequest(
      'bad-key-message',
      'The key message names another task or another sender than this site.',
    );
  }
  const joined = new Set((await ctx.store.sites.joinedSites(task.id)).map((row) => row.site_id));
  const stranger = message.boxes.find((box) => !joined.has(box.siteId));
  if (stranger) {
    throw badRequest(
      'bad-key-message',
      'The key message has a box for a site that has not joined this task.',
    );
  }
  // Checked before the message is stored: every message sent is kept as a blob (up to 16 MiB), so a
  // maker sending the same key again, or another key, over and over filled the hub's disk. A second
  // message is taken only when it seals the same key to a site that joined since.
  const bytes = Buffer.from(JSON.stringify(message));
  const stored = await rows(ctx.store).taskKey(task.id);
  if (stored && stored.key_id !== message.keyId) throw keyAlreadySet();
  // The very message stored (a retry whose answer was lost): taken again, nothing written.
  if (stored?.message_sha256 === createHash('sha256').update(bytes).digest('hex')) return;
  if (stored) {
    const waiting = new Set(await sitesWaiting(ctx, task.id));
    if (!message.boxes.some((box) => waiting.has(box.siteId))) {
      throw conflict(
        'key-already-sealed',
        "The hub already holds this task's key sealed to every site it is sealed for here; send it again only when a site has joined since.",
      );
    }
  }
  const sha256 = await ctx.store.blobs.put(bytes);
  await ctx.store.transaction(async (tx) => {
    // The key is set once per task, on any replica: checked and stored under the task's lock.
    await tx.lock(lockKeys.task(task.id));
    const existing = await rows(tx).taskKey(task.id);
    if (existing && existing.key_id !== message.keyId) throw keyAlreadySet();
    await rows(tx).putTaskKey({
      task_id: task.id,
      key_id: message.keyId,
      maker_site_id: who.id,
      message_sha256: sha256,
      recipients: JSON.stringify(message.boxes.map((box) => box.siteId)),
      updated_at: isoAt(ctx),
    });
  });
  ctx.events.publish(taskChannel(task.id));
}

function keyAlreadySet() {
  return conflict(
    'key-already-set',
    'This task already has its key; re-seal that same key to the sites that joined since (a new key needs a new task).',
  );
}

/** The stored key's id and public parameters: all the hub needs to check and add ciphertexts. */
export async function taskKeyParameters(
  ctx: HubContext,
  taskId: string,
): Promise<{ keyId: Buffer; parameters: SummationParameters } | null> {
  const message = await storedMessage(ctx, taskId);
  return message ? { keyId: Buffer.from(message.keyId, 'base64url'), parameters: message.parameters } : null;
}

// One SEAL context per task key (building one takes milliseconds and some WebAssembly memory); a
// few are kept, the oldest let go.
const summations = new Map<string, EncryptedSummation>();
const SUMMATIONS_KEPT = 8;

function summationName(ctx: HubContext, taskId: string, keyId: Buffer): string {
  return `${ctx.layout.root}|${taskId}|${keyId.toString('hex')}`;
}

/** The hub's adder for a task's current key, or null before the maker sent it. */
export async function loadTaskSummation(ctx: HubContext, taskId: string): Promise<EncryptedSummation | null> {
  const key = await taskKeyParameters(ctx, taskId);
  if (!key) return null;
  const name = summationName(ctx, taskId, key.keyId);
  const kept = summations.get(name);
  if (kept) return kept;
  const summation = await EncryptedSummation.open(key.parameters, key.keyId);
  summations.set(name, summation);
  if (summations.size > SUMMATIONS_KEPT) {
    const [oldest] = summations.keys();
    summations.get(oldest as string)?.dispose();
    summations.delete(oldest as string);
  }
  return summation;
}

/** The adder loaded by loadTaskSummation, or null when it is not loaded (the upload check loads it first). */
export async function loadedTaskSummation(
  ctx: HubContext,
  taskId: string,
): Promise<EncryptedSummation | null> {
  const key = await taskKeyParameters(ctx, taskId);
  return key ? (summations.get(summationName(ctx, taskId, key.keyId)) ?? null) : null;
}

async function requireJoinedHomomorphic(
  ctx: HubContext,
  task: TaskRow,
  who: SiteRow,
): Promise<TaskDefinition> {
  const definition = definitionOf(task);
  if (!homomorphicOn(definition)) {
    throw badRequest('not-homomorphic', 'This task does not use homomorphic encryption; it has no task key.');
  }
  if (!(await ctx.store.sites.hasJoined(task.id, who.id))) {
    throw forbidden(
      'not-joined',
      `This site has not joined task ${task.id}; approve the task at the site first.`,
    );
  }
  return definition;
}
