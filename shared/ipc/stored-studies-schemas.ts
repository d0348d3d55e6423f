// Request schemas of the studies:list and studies:thumbnail channels, spread into ipcRequestSchemas;
// built only when called, so the renderer bundle leaves zod out.
import { z } from 'zod';

/** A de-identified Study Instance UID (digits and dots, at most 64 characters). */
const studyKey = () =>
  z.string().regex(/^[0-9.]{1,64}$/, 'a study key is the de-identified study UID the list gave');

export const storedStudiesSchemas = () =>
  ({
    'studies:list': z.undefined(),
    'studies:thumbnail': z.strictObject({ key: studyKey() }),
  }) as const;
