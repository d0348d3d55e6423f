// Request schemas of the first-day checklist, the folder picker and withdrawing an approval, built on
// demand like setup-schemas.ts (the renderer bundle must not pull zod in through the door).
import { z } from 'zod';

export function firstDaySchemas() {
  return {
    'site:first-day': z.undefined(),
    'files:choose-folder': z.undefined(),
    // Empty: the agent's home folder.
    'files:list-folders': z.strictObject({ path: z.string().max(4096).optional() }),
    'federation:withdraw': z.strictObject({ taskId: z.string().trim().min(1).max(200) }),
  } as const;
}
