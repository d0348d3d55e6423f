// The Studies page's list of what the research store holds: one entry per stored study, with a
// thumbnail the agent renders from the de-identified research copy (never from an identified file).
import { z } from 'zod';

/** A de-identified Study Instance UID (digits and dots, at most 64 characters). */
export const studyThumbnailRequestSchema = z.strictObject({
  key: z.string().regex(/^[0-9.]{1,64}$/, 'a study key is the de-identified study UID the list gave'),
});

/** A study in the research store, as a person browses it: no identifier, only the pseudonym. */
export const storedStudyViewSchema = z.object({
  /** The study's de-identified UID: an opaque key to ask for its thumbnail, never shown. */
  key: z.string(),
  /** The patient's pseudonym (RF + 16 hex digits). */
  patient: z.string(),
  /** Modalities in the study, e.g. ["CT"]. */
  modalities: z.array(z.string()),
  series: z.number(),
  images: z.number(),
  /** When the study was first stored (ISO 8601). */
  storedAt: z.string(),
});
export type StoredStudyView = z.infer<typeof storedStudyViewSchema>;

export const storedStudiesViewSchema = z.object({
  /** Newest first, at most `shown` of them. */
  studies: z.array(storedStudyViewSchema),
  /** How many studies the store holds in all. */
  total: z.number(),
});
export type StoredStudiesView = z.infer<typeof storedStudiesViewSchema>;

/** A study's thumbnail: the middle image of its first series, windowed and scaled down, as PNG. */
export const studyThumbnailViewSchema = z.object({
  key: z.string(),
  pngBase64: z.string(),
  width: z.number(),
  height: z.number(),
});
export type StudyThumbnailView = z.infer<typeof studyThumbnailViewSchema>;
