// A task's CKKS secret key goes from the site that made it to the task's other sites end to end: one
// sealed box per recipient (X25519 + HKDF + AES-GCM, shared/node/federation/sealed-box.ts, to the site's
// enrolled exchange key), the whole message signed with the sender's Ed25519 identity key. The hub
// carries the message and sees only what is in the clear here: the task, the key's random id, the
// public parameters, who sent it, who may open it, and sealed boxes. The hub cannot open a box, and
// cannot slip in a key of its own (the sites would then encrypt to the hub): a box it seals fails the
// sender's signature. A key belongs to one task (rotation is a new task key, new id).
import { type KeyObject, sign, verify } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson, FederationError } from '../../federation/index.ts';
import { openSealed, sealForHub } from '../federation/index.ts';
import type { TaskSecretKey } from './ckks-summation.ts';
import { HomomorphicError } from './homomorphic-error.ts';
import { checkParameters, parametersFingerprint, type SummationParameters } from './summation-parameters.ts';

export const TASK_KEY_FORMAT = 'radfed-ckks-task-key-v1';
/** A SEAL secret key for N = 4096 and one prime is about 30 KB; a box bigger than this is refused. */
const MAX_SEALED_CHARS = 96 * 1024;
const MAX_RECIPIENTS = 1024;
const ID_CHARS = 128;
const ID = z.string().min(1).max(ID_CHARS);

/**
 * The most bytes a key message for `recipients` sites can take as JSON: each box at its largest, with
 * its site id and JSON punctuation, and the header fields. The hub sizes the key route's body limit by
 * it: about 40 KB a site, so a fixed 1 MiB refused the key of a task with 26 or more sites, and its
 * rounds never collected.
 */
export function taskKeyMessageLimit(recipients: number): number {
  const perBox = MAX_SEALED_CHARS + ID_CHARS + 64;
  return 16 * 1024 + Math.min(Math.max(1, recipients), MAX_RECIPIENTS) * perBox;
}

const taskKeyMessageSchema = z.strictObject({
  format: z.literal(TASK_KEY_FORMAT),
  taskId: ID,
  keyId: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
  parameters: z.strictObject({
    scheme: z.literal('ckks'),
    polyModulusDegree: z.number().int(),
    primeBits: z.number().int(),
    scaleBits: z.number().int(),
    maxSites: z.number().int().positive(),
    valueBound: z.number().positive(),
    securityBits: z.number().int(),
  }),
  fromSiteId: ID,
  boxes: z
    .array(
      z.strictObject({
        siteId: ID,
        sealed: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/)
          .max(MAX_SEALED_CHARS),
      }),
    )
    .min(1)
    .max(MAX_RECIPIENTS),
  signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
});

export type TaskKeyMessage = z.infer<typeof taskKeyMessageSchema>;

export interface KeyRecipient {
  readonly siteId: string;
  /** The site's enrolled X25519 public key (base64url of 32 bytes). */
  readonly exchangePublicKey: string;
}

/** The associated data of one box: a box opens only for its task, key, sender, recipient and parameters. */
function boxContext(
  message: Pick<TaskKeyMessage, 'taskId' | 'keyId' | 'fromSiteId' | 'parameters'>,
  siteId: string,
): string {
  const parameters = parametersFingerprint(message.parameters).toString('hex');
  return `radfed-ckks-task-key|${message.taskId}|${message.keyId}|${message.fromSiteId}|${siteId}|${parameters}`;
}

function signedBytes(message: Omit<TaskKeyMessage, 'signature'>): Buffer {
  return Buffer.from(`RADFED-CKKS-TASK-KEY-V1\n${canonicalJson(message)}`);
}

/** The message the key's maker sends through the hub: one sealed box per recipient, signed. */
export function sealTaskKey(input: {
  readonly taskId: string;
  readonly parameters: SummationParameters;
  readonly key: TaskSecretKey;
  readonly fromSiteId: string;
  readonly signingPrivateKey: KeyObject;
  readonly recipients: readonly KeyRecipient[];
}): TaskKeyMessage {
  const ids = input.recipients.map((recipient) => recipient.siteId);
  if (ids.length === 0 || new Set(ids).size !== ids.length) {
    throw new HomomorphicError(
      'bad-key-message',
      "A task key goes to at least one site, each named once: check the task's site list.",
    );
  }
  const head = {
    format: TASK_KEY_FORMAT,
    taskId: input.taskId,
    keyId: input.key.keyId.toString('base64url'),
    parameters: checkParameters(input.parameters),
    fromSiteId: input.fromSiteId,
  } as const;
  const boxes = input.recipients.map((recipient) => ({
    siteId: recipient.siteId,
    sealed: Buffer.from(
      sealForHub(input.key.secretKey, recipient.exchangePublicKey, boxContext(head, recipient.siteId)),
    ).toString('base64url'),
  }));
  const unsigned = { ...head, boxes };
  const signature = sign(null, signedBytes(unsigned), input.signingPrivateKey).toString('base64url');
  return taskKeyMessageSchema.parse({ ...unsigned, signature });
}

/** Checks the shape of a key message that came over the wire (the hub runs this before storing one). */
export function parseTaskKeyMessage(value: unknown): TaskKeyMessage {
  const parsed = taskKeyMessageSchema.safeParse(value);
  if (!parsed.success) {
    throw new HomomorphicError(
      'bad-key-message',
      'This is not a RadFed task-key message; ask the sending site to send the task key again.',
    );
  }
  checkParameters(parsed.data.parameters);
  return parsed.data;
}

/** A recipient opens its box: the sender's signature first, then the box sealed to this site. */
export function openTaskKey(
  value: unknown,
  me: {
    readonly taskId: string;
    readonly siteId: string;
    readonly exchangePrivateKey: KeyObject;
    /** The sender's enrolled Ed25519 key, as the site knows it for the task's sites. */
    readonly senderSigningPublicKey: KeyObject;
  },
): { key: TaskSecretKey; parameters: SummationParameters; fromSiteId: string } {
  const message = parseTaskKeyMessage(value);
  if (message.taskId !== me.taskId) {
    throw new HomomorphicError(
      'bad-key-message',
      "This key message is for another task: a task's key is never reused for another.",
    );
  }
  const { signature, ...unsigned } = message;
  let signed: boolean;
  try {
    signed = verify(
      null,
      signedBytes(unsigned),
      me.senderSigningPublicKey,
      Buffer.from(signature, 'base64url'),
    );
  } catch {
    signed = false;
  }
  if (!signed) {
    throw new HomomorphicError(
      'bad-key-message',
      'The task key message is not signed by the site it names as its sender: it was altered on the way. Ask that site to send the task key again.',
    );
  }
  const box = message.boxes.find((candidate) => candidate.siteId === me.siteId);
  if (!box) {
    throw new HomomorphicError(
      'not-a-recipient',
      "This site is not among the task key's recipients: ask the site that made the key to send it to this site too.",
    );
  }
  let secretKey: Uint8Array;
  try {
    secretKey = openSealed(
      Buffer.from(box.sealed, 'base64url'),
      me.exchangePrivateKey,
      boxContext(message, me.siteId),
    );
  } catch (error) {
    if (!(error instanceof FederationError)) throw error;
    throw new HomomorphicError(
      'not-a-recipient',
      "The task key could not be opened with this site's exchange key: it was sealed for another key. Ask the sending site to send it again.",
      { cause: error },
    );
  }
  return {
    key: { keyId: Buffer.from(message.keyId, 'base64url'), secretKey },
    parameters: checkParameters(message.parameters),
    fromSiteId: message.fromSiteId,
  };
}
