// Request schemas of the held:* channels (the review queue of held files), spread into
// ipcRequestSchemas; built only when called, so the renderer bundle leaves zod out.
import { z } from 'zod';

const heldId = () => z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** The name of the person who checked the picture: one line, as they write it. */
const reviewerName = () =>
  z
    .string()
    .trim()
    .min(1, 'write the name of the person who checked the picture')
    .max(200, 'a name has at most 200 characters')
    // eslint-disable-next-line no-control-regex
    .refine((name) => !/[\u0000-\u001f\u007f]/.test(name), { message: 'a name is one line of text' });

/** Request schemas of the held:* channels, spread into ipcRequestSchemas. */
export const heldSchemas = () =>
  ({
    'held:list': z.undefined(),
    'held:preview': z.strictObject({ id: heldId() }),
    'held:release-as-is': z.strictObject({ id: heldId(), confirmedBy: reviewerName() }),
    'held:clean': z.strictObject({ id: heldId() }),
    'held:delete': z.strictObject({ id: heldId() }),
    'held:set-policy': z.strictObject({ policy: z.enum(['hold', 'clean-automatically', 'clean-and-ask']) }),
  }) as const;
