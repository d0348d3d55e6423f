// Request schemas of the Training data page's channels (cohort:*), built on demand like setup-schemas.ts.
// Shapes and bounds only: the agent checks a task with the cohort room's own rules (task-definition.ts),
// which explain a wrong id, label set or filter in words.
import { z } from 'zod';

const taskId = z.string().trim().min(1).max(64);

const filters = z.strictObject({
  modalities: z.array(z.string().max(16)).max(50).optional(),
  bodyParts: z.array(z.string().max(16)).max(50).optional(),
  seriesDescription: z.string().max(500).optional(),
  studyDate: z
    .strictObject({ from: z.string().max(10).optional(), to: z.string().max(10).optional() })
    .optional(),
});

export function cohortSchemas() {
  return {
    'cohort:tasks': z.undefined(),
    'cohort:save-task': z.strictObject({
      // Empty text is allowed here: the agent answers each empty or wrong field in words, beside it.
      task: z.strictObject({
        id: z.string().max(64),
        name: z.string().max(200),
        labels: z.array(z.string().max(64)).max(100),
        filters,
        consentScope: z.string().max(200).optional(),
        validationFraction: z.number(),
        seed: z.number(),
      }),
      replace: z.boolean(),
      makeDefault: z.boolean(),
    }),
    // 1 MiB requests at most (the web UI's limit): about 750 KB of CSV.
    'cohort:import-labels': z.strictObject({
      taskId: taskId.optional(),
      csvBase64: z.base64().min(1),
      key: z.enum(['accession', 'study-uid']).optional(),
      replace: z.boolean(),
    }),
    'cohort:summary': z.strictObject({ taskId: taskId.optional() }),
  } as const;
}
