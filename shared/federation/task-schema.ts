// A federated task as the coordinator writes it (task.json) and as every site receives it. Sites show
// it in plain words and must approve it before training for it.
import { z } from 'zod';
import { adaptiveClippingOn } from './adaptive-clipping.ts';
import { differentialPrivacySchema } from './differential-privacy-settings.ts';
import {
  DEFAULT_HOMOMORPHIC_SITES,
  homomorphicSchema,
  withHomomorphicDefaults,
} from './homomorphic-settings.ts';
import { federationMethod, strategySchema, type Strategy, type StrategyName } from './methods/index.ts';
import { secureAggregationSchema } from './secure-aggregation-settings.ts';
import { COMPRESSIONS } from './weights-codec.ts';

const name = z.string().trim().min(1).max(200);

/** Far above what training moves a model in one round, far below what breaks float32 (see maxUpdateNorm). */
export const DEFAULT_MAX_UPDATE_NORM = 1000;
/** Larger than any one hospital's labelled set for a task (the largest public chest X-ray sets are ~0.4M). */
export const DEFAULT_MAX_EXAMPLES_PER_SITE = 1_000_000;
export const UPDATE_NORM_POLICIES = ['clip', 'refuse'] as const;
export type UpdateNormPolicy = (typeof UPDATE_NORM_POLICIES)[number];

/**
 * The sites' learning rate over a task: `constant`, `cosine`, from the task's rate in the first round
 * down to COSINE_FLOOR of it at the last (constant within a round), or `final-decay`: constant, then
 * the same cosine over the last FINAL_DECAY_SHARE of the rounds only. A constant rate moves the global
 * model as much in its last round as in its first, so the last model is one draw from where the rounds
 * wander; a decay over the whole task slowed learning more than it steadied the end (docs/demo.md), a
 * decay over the last rounds only shrinks the last steps.
 */
export const LEARNING_RATE_SCHEDULES = ['constant', 'cosine', 'final-decay'] as const;
export const COSINE_FLOOR = 0.05;
/** The share of a task's rounds over which `final-decay` lowers the rate (the last quarter). */
export const FINAL_DECAY_SHARE = 0.25;

// Each method's settings are defined in its record's file (methods/); the union of them is the task's
// strategy.
export { strategySchema, type Strategy, type StrategyName };

/**
 * What protects the updates beyond encryption to the hub: secure aggregation or homomorphic
 * aggregation (exclusive), and differential privacy.
 */
const privacySettings = z
  .object({
    secureAggregation: secureAggregationSchema,
    homomorphic: homomorphicSchema,
    differentialPrivacy: differentialPrivacySchema,
  })
  .prefault({});

// The parameter's type keeps the task's input type (a task file is still checked field by field).
export const privacySchema = z.preprocess(
  (privacy: z.input<typeof privacySettings>) => withHomomorphicDefaults(privacy),
  privacySettings,
);

export const taskDefinitionSchema = z
  .object({
    name,
    description: z.string().max(2000).optional(),
    /** A model from the site's model registry, e.g. "reference-cnn" or "bn-classifier". */
    model: z.object({
      name: z.string().min(1).max(100),
      options: z.record(z.string(), z.unknown()).optional(),
    }),
    /** How a site turns its images into model inputs. */
    input: z.object({
      size: z.number().int().min(8).max(1024),
      channels: z.number().int().min(1).max(4).default(1),
      window: z.object({ center: z.number(), width: z.number().positive() }).nullable().default(null),
    }),
    labels: z.array(name).min(2).max(1000),
    rounds: z.number().int().min(1).max(10_000),
    localEpochs: z.number().int().min(1).max(1000),
    batchSize: z.number().int().min(1).max(4096),
    optimizer: z.object({
      name: z.enum(['adam', 'sgd']),
      learningRate: z.number().positive().max(10),
      /** How the rate changes over the rounds (LEARNING_RATE_SCHEDULES). */
      schedule: z.enum(LEARNING_RATE_SCHEDULES).default('constant'),
    }),
    strategy: strategySchema,
    /** Accepted updates needed for a round to be aggregated (cyclic: always 1). */
    quorum: z.number().int().min(1).max(10_000),
    /** Seconds from the start of collection until the round closes with whoever sent an update. */
    roundDeadlineSeconds: z
      .number()
      .int()
      .min(1)
      .max(30 * 24 * 3600),
    compression: z.enum(COMPRESSIONS).default('none'),
    /**
     * The largest L2 norm the hub takes from one site's update (the change to the global model), so
     * one site cannot push the model arbitrarily far. With differential privacy the hub adds room for
     * the site's Gaussian noise (shared/federation/update-bounds.ts). Set it a few times above the
     * norms honest sites send (the hub records each update's norm).
     */
    maxUpdateNorm: z.number().positive().default(DEFAULT_MAX_UPDATE_NORM),
    /** What the hub does with an update above maxUpdateNorm: scale it down to the bound, or refuse it. */
    updateNormPolicy: z.enum(UPDATE_NORM_POLICIES).default('clip'),
    /**
     * The most training (and validation) examples one site may claim, whatever it declared when it
     * joined: an update's weight in the mean, and a metrics report's weight on the dashboard.
     */
    maxExamplesPerSite: z.number().int().min(1).max(1e9).default(DEFAULT_MAX_EXAMPLES_PER_SITE),
    privacy: privacySchema,
    /** Site names that may take part; absent means every enrolled site may join. */
    sites: z.array(name).min(1).optional(),
  })
  .superRefine((task, check) => {
    if (task.privacy.homomorphic.enabled) {
      // Whether the method's combine step can run on an encrypted sum is in its record (methods/).
      const allowance = federationMethod(task.strategy).privacy.homomorphic;
      if (!allowance.allowed)
        check.addIssue({ code: 'custom', path: ['privacy', 'homomorphic'], message: allowance.reason });
      if (task.privacy.secureAggregation.enabled) {
        check.addIssue({
          code: 'custom',
          path: ['privacy', 'secureAggregation'],
          message:
            'Secure aggregation and homomorphic encryption cannot both be on: the hub cannot unmask ciphertexts. ' +
            'Set privacy.secureAggregation to false (homomorphic encryption already hides even the sum from the hub).',
        });
      }
      if (adaptiveClippingOn(task.privacy.differentialPrivacy)) {
        check.addIssue({
          code: 'custom',
          path: ['privacy', 'differentialPrivacy'],
          message:
            'Adaptive clipping needs the sum of the sites\u2019 clipping bits at the hub, which homomorphic encryption hides; ' +
            'give differentialPrivacy a fixed clipNorm, or turn homomorphic encryption off.',
        });
      }
      const named = task.sites?.length;
      const sized = task.privacy.homomorphic.maxSites;
      const sums = sized ?? named ?? DEFAULT_HOMOMORPHIC_SITES;
      if (task.quorum > sums) {
        check.addIssue({
          code: 'custom',
          path: ['quorum'],
          message: `An encrypted sum of this task adds at most ${sums} updates, fewer than the quorum of ${task.quorum}; lower the quorum or raise privacy.homomorphic.maxSites.`,
        });
      }
      if (named !== undefined && sized !== undefined && sized < named) {
        check.addIssue({
          code: 'custom',
          path: ['privacy', 'homomorphic', 'maxSites'],
          message: `The task names ${named} sites but its encrypted sums are sized for ${sized}; raise maxSites to at least ${named} or leave it out.`,
        });
      }
    }
    const secure = task.privacy.secureAggregation;
    if (!secure.enabled) return;
    // Whether the method takes secure aggregation, and why not, is in its record (methods/).
    const allowance = federationMethod(task.strategy).privacy.secureAggregation;
    if (!allowance.allowed) {
      check.addIssue({ code: 'custom', path: ['privacy', 'secureAggregation'], message: allowance.reason });
    }
    if (task.quorum < 2) {
      check.addIssue({
        code: 'custom',
        path: ['quorum'],
        message:
          'With secure aggregation a round needs at least 2 sites (the sum of one update is that update); ' +
          'raise the quorum to 2 or set privacy.secureAggregation to false.',
      });
    }
  });
export type TaskDefinition = z.infer<typeof taskDefinitionSchema>;
export type TaskDefinitionInput = z.input<typeof taskDefinitionSchema>;
