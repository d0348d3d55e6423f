// The hub's HTTP protocol (its version and the header that carries it: protocol-version.ts): paths and the schema of every request and response body. The
// hub validates what it receives and what it sends against these; the site client validates what it
// receives. Bodies are JSON, except chunk uploads and model downloads (application/octet-stream).
import { z } from 'zod';
import { checkSiteName } from '../site-name.ts';
import { privacyBudgetViewSchema } from './privacy-accounting.ts';
import { secaggRoundStatusSchema } from './secagg-protocol.ts';
import { taskDefinitionSchema } from './task-schema.ts';
import { COMPRESSIONS } from './weights-codec.ts';
import { OLDEST_SITE_PROTOCOL, PROTOCOL_VERSION } from './protocol-version.ts';

export const hubPaths = {
  info: '/v1/hub',
  enroll: '/v1/enroll',
  /** Whether a token would be accepted, without using it (the setup wizard's connection check). */
  enrollCheck: '/v1/enroll/check',
  tasks: '/v1/tasks',
  task: (taskId: string) => `/v1/tasks/${enc(taskId)}`,
  join: (taskId: string) => `/v1/tasks/${enc(taskId)}/join`,
  round: (taskId: string) => `/v1/tasks/${enc(taskId)}/round`,
  model: (taskId: string, version: number | 'latest') => `/v1/tasks/${enc(taskId)}/models/${version}`,
  modelBlob: (taskId: string, version: number) => `/v1/tasks/${enc(taskId)}/models/${version}/blob`,
  metrics: (taskId: string, version: number) => `/v1/tasks/${enc(taskId)}/models/${version}/metrics`,
  uploads: (taskId: string) => `/v1/tasks/${enc(taskId)}/uploads`,
  upload: (uploadId: string) => `/v1/uploads/${enc(uploadId)}`,
  chunk: (uploadId: string, index: number) => `/v1/uploads/${enc(uploadId)}/chunks/${index}`,
  complete: (uploadId: string) => `/v1/uploads/${enc(uploadId)}/complete`,
  submissions: (taskId: string) => `/v1/tasks/${enc(taskId)}/submissions`,
  submission: (submissionId: string) => `/v1/submissions/${enc(submissionId)}`,
  heartbeat: '/v1/heartbeat',
} as const;

function enc(part: string): string {
  return encodeURIComponent(part);
}

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const fingerprint = z.string().regex(/^[0-9a-f]{32}$/);
const rawKey = z.string().regex(/^[A-Za-z0-9_-]{43}$/);
const isoTime = z.string().datetime({ offset: true });
const count = z.number().int().min(0);

/** Every error reply: a code for machines, a sentence for people, and the hub's clock. */
export const errorBodySchema = z.object({ error: z.string(), message: z.string(), hubTime: z.number() });
export type ErrorBody = z.infer<typeof errorBodySchema>;

export const hubInfoSchema = z.object({
  // Any version, not this release's: a site must be able to read an older or newer hub's answer (and
  // the hub.json it saved at enrollment) to say in words which one should be upgraded.
  protocol: z.number().int().min(1).max(9999),
  name: z.string(),
  caFingerprint: fingerprint,
  signingPublicKey: rawKey,
  signingKeyFingerprint: fingerprint,
  exchangePublicKey: rawKey,
  time: z.number(),
});
export type HubInfo = z.infer<typeof hubInfoSchema>;

/** A site's name: the one rule of shared/site-name.ts (apostrophes, accents and hyphens allowed). */
export const siteNameSchema = z.string().transform((value, ctx) => {
  const checked = checkSiteName(value);
  if (checked.ok) return checked.name;
  ctx.addIssue({ code: 'custom', message: checked.problem });
  return z.NEVER;
});

export const enrollRequestSchema = z.object({
  tokenSecret: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  siteName: siteNameSchema,
  signingPublicKey: rawKey,
  exchangePublicKey: rawKey,
});
export type EnrollRequest = z.infer<typeof enrollRequestSchema>;

export const enrollResponseSchema = z.object({ siteId: id, siteName: z.string(), hub: hubInfoSchema });
export type EnrollResponse = z.infer<typeof enrollResponseSchema>;

export const enrollCheckRequestSchema = z.object({
  tokenSecret: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  siteName: siteNameSchema.optional(),
});
export type EnrollCheckRequest = z.infer<typeof enrollCheckRequestSchema>;

export const enrollCheckResponseSchema = z.object({
  valid: z.literal(true),
  expiresAt: isoTime,
  siteName: z.string().nullable(),
});
export type EnrollCheckResponse = z.infer<typeof enrollCheckResponseSchema>;

export const TASK_STATES = ['active', 'stopped', 'completed', 'failed'] as const;
export const ROUND_STATES = ['open', 'collecting', 'aggregating', 'published', 'failed'] as const;
export type TaskState = (typeof TASK_STATES)[number];
export type RoundState = (typeof ROUND_STATES)[number];

export const taskViewSchema = z.object({
  id,
  state: z.enum(TASK_STATES),
  definition: taskDefinitionSchema,
  createdAt: isoTime,
  joined: z.boolean(),
  latestVersion: z.number().int().min(0).nullable(),
  failureReason: z.string().nullable(),
  /** With differential privacy: the budget and what the hub counted as spent (absent from older hubs). */
  privacyBudget: privacyBudgetViewSchema.nullable().optional(),
});
export type TaskView = z.infer<typeof taskViewSchema>;
export const taskListSchema = z.object({ tasks: z.array(taskViewSchema) });

/**
 * What a site declares when it joins a task: the sizes of its training and validation sets for it.
 * The hub counts at most this many examples behind the site's updates and metrics (and never more than
 * the task's maxExamplesPerSite). Joining again updates the declaration. A site that declares nothing
 * is held to the task's cap alone.
 */
export const joinRequestSchema = z.object({
  cohort: z
    .object({ train: z.number().int().min(0).max(1e9), validation: z.number().int().min(0).max(1e9) })
    .optional(),
});
export type JoinRequest = z.infer<typeof joinRequestSchema>;
export const joinResponseSchema = z.object({ taskId: id, siteId: id, joinedAt: isoTime });

/** What a site needs to know about the current round of a task, as seen by that site. */
export const roundViewSchema = z.object({
  taskId: id,
  taskState: z.enum(TASK_STATES),
  round: z.number().int().min(1).nullable(),
  state: z.enum(ROUND_STATES).nullable(),
  /** The global model version this round trains from (null until an initial model exists). */
  baseVersion: z.number().int().min(0).nullable(),
  latestVersion: z.number().int().min(0).nullable(),
  /** No initial model yet: the first joined site may upload one (kind 'initial'). */
  needsInitialModel: z.boolean(),
  deadlineAt: isoTime.nullable(),
  joinedSites: count,
  acceptedUpdates: count,
  quorum: z.number().int().min(1),
  /** Cyclic weight transfer: the one site whose turn it is; null for other strategies. */
  turnSiteId: id.nullable(),
  /** True when this site may upload an update for this round now. */
  mayUpload: z.boolean(),
  submitted: z.boolean(),
  failureReason: z.string().nullable(),
  /** Secure aggregation: the round's SecAgg+ phase (null for a round without it). */
  secureAggregation: secaggRoundStatusSchema.nullable().default(null),
  /** Differential privacy with adaptive clipping: this round's clip norm C, set by the hub (null otherwise). */
  clipNorm: z.number().positive().nullable().default(null),
  /** Changes whenever anything above changes: pass it back as `after` to long-poll. */
  revision: z.string(),
});
export type RoundView = z.infer<typeof roundViewSchema>;

export const aggregatedMetricsSchema = z.object({
  loss: z.number().nullable(),
  accuracy: z.number().nullable(),
  auc: z.number().nullable(),
  n: count,
  sites: count,
});
export type AggregatedMetrics = z.infer<typeof aggregatedMetricsSchema>;

export const modelMetaSchema = z.object({
  taskId: id,
  version: z.number().int().min(0),
  round: z.number().int().min(0),
  sha256,
  signature: z.string().min(1),
  bytes: count,
  createdAt: isoTime,
  metrics: aggregatedMetricsSchema,
});
export type ModelMeta = z.infer<typeof modelMetaSchema>;

/**
 * Loss values above this are no measurement (cross-entropy of float32 logits stays far below it): the
 * model diverged. The hub refuses them; a site reports such a loss as null (reportableLoss).
 */
export const MAX_REPORTED_LOSS = 1e12;

/** The loss as a site reports it: null when there is no measurement (not finite, or diverged). */
export function reportableLoss(loss: number): number | null {
  return Number.isFinite(loss) && loss >= 0 && loss <= MAX_REPORTED_LOSS ? loss : null;
}

/** A site's evaluation of one global model version on its validation split. */
export const metricsRequestSchema = z.object({
  loss: z.number().finite().min(0).nullable(),
  accuracy: z.number().min(0).max(1).nullable(),
  auc: z.number().min(0).max(1).nullable(),
  n: z.number().int().min(1),
});
export type MetricsRequest = z.infer<typeof metricsRequestSchema>;

/** 'delta': a site's weights minus the global model. 'initial': the task's first global model. */
export const UPLOAD_KINDS = ['delta', 'initial'] as const;
export type UploadKind = (typeof UPLOAD_KINDS)[number];

export const createUploadRequestSchema = z.object({
  round: z.number().int().min(0),
  kind: z.enum(UPLOAD_KINDS),
  bytes: z.number().int().min(1),
  sha256,
  chunkBytes: z.number().int().min(1024).optional(),
});
export type CreateUploadRequest = z.infer<typeof createUploadRequestSchema>;

export const uploadStatusSchema = z.object({
  uploadId: id,
  taskId: id,
  round: z.number().int().min(0),
  kind: z.enum(UPLOAD_KINDS),
  bytes: z.number().int().min(1),
  sha256,
  chunkBytes: z.number().int().min(1),
  receivedBytes: count,
  state: z.enum(['receiving', 'complete']),
  submissionId: id.nullable(),
});
export type UploadStatus = z.infer<typeof uploadStatusSchema>;

/**
 * What a site states about an upload, signed with its key and kept by the hub with the submission.
 * In a task with secure aggregation a 'delta' upload carries the masked input (RFM1: integers mod 2³²)
 * instead of the weights, and `examples` is 1: the real count travels masked inside it.
 */
export const updateEnvelopeSchema = z.object({
  /** The sender's protocol: one the hub serves (the request header was checked against the same range). */
  protocol: z.number().int().min(OLDEST_SITE_PROTOCOL).max(PROTOCOL_VERSION),
  taskId: id,
  round: z.number().int().min(0),
  siteId: id,
  kind: z.enum(UPLOAD_KINDS),
  baseVersion: z.number().int().min(0).nullable(),
  examples: z.number().int().min(1),
  compression: z.enum(COMPRESSIONS),
  ciphertextSha256: sha256,
  ciphertextBytes: z.number().int().min(1),
});
export type UpdateEnvelope = z.infer<typeof updateEnvelopeSchema>;

export const completeUploadRequestSchema = z.object({
  envelope: updateEnvelopeSchema,
  envelopeSignature: z.string().min(1).max(200),
});

export const submissionViewSchema = z.object({
  id,
  taskId: id,
  round: z.number().int().min(0),
  siteId: id,
  kind: z.enum(UPLOAD_KINDS),
  examples: z.number().int().min(1),
  state: z.enum(['accepted', 'rejected']),
  reason: z.string().nullable(),
  ciphertextSha256: sha256,
  createdAt: isoTime,
});
export type SubmissionView = z.infer<typeof submissionViewSchema>;
export const submissionListSchema = z.object({ submissions: z.array(submissionViewSchema) });

/** What a site is doing, as its heartbeat says (never anything about patients or images). */
export const SITE_ACTIVITY_STATES = ['idle', 'waiting-for-approval', 'training', 'paused', 'error'] as const;
export type SiteActivityState = (typeof SITE_ACTIVITY_STATES)[number];
/** A site's answer to a task it was offered; 'cannot-take-part': it has no training images for its labels. */
export const SITE_TASK_DECISIONS = ['approved', 'declined', 'cannot-take-part'] as const;
export type SiteTaskDecision = (typeof SITE_TASK_DECISIONS)[number];
/** Seconds between a site's heartbeats; the hub calls a site offline after a few are missed. */
export const HEARTBEAT_INTERVAL_SECONDS = 60;

/** POST /v1/heartbeat: signed like every site request, sent about once a minute, also while idle. */
export const heartbeatRequestSchema = z.object({
  state: z.enum(SITE_ACTIVITY_STATES),
  /** The site's decision on the hub's tasks it has decided on (absent: nothing to report). */
  tasks: z
    .array(z.object({ taskId: id, decision: z.enum(SITE_TASK_DECISIONS) }))
    .max(500)
    .optional(),
});
export type HeartbeatRequest = z.infer<typeof heartbeatRequestSchema>;
export const heartbeatResponseSchema = z.object({
  hubTime: z.number(),
  /** When to send the next one. */
  nextInSeconds: z.number().int().min(1),
});
export type HeartbeatResponse = z.infer<typeof heartbeatResponseSchema>;
