// The task's filters, applied to what the research index recorded of each de-identified study and
// series. They see DE-IDENTIFIED values: under the Basic Profile the Study Date is empty and the
// Series Description removed, so a date window needs retain-long-full-dates (or, with shifted dates,
// retain-long-modified-dates, PS3.15 E.3.6) and a description pattern needs clean-descriptors
// (E.3.5); a study or series without the value is filtered out, never let through.
import type { TaskFilters } from './task-definition.ts';

export interface SeriesFacts {
  modality: string;
  bodyPart: string;
  description: string;
}

export type SeriesFilter = 'modality' | 'bodyPart' | 'seriesDescription';

export interface CompiledFilters {
  /** Whether a study with this de-identified Study Date (DA, YYYYMMDD) is inside the date window. */
  studyDateOk(studyDate: string): boolean;
  /** The first filter this series fails, or null when it passes them all. */
  seriesFails(series: SeriesFacts): SeriesFilter | null;
}

export function compileFilters(filters: TaskFilters): CompiledFilters {
  const modalities = filters.modalities ? new Set(filters.modalities) : null;
  const bodyParts = filters.bodyParts ? new Set(filters.bodyParts) : null;
  const description = filters.seriesDescription ? new RegExp(filters.seriesDescription, 'i') : null;
  const from = filters.studyDate?.from?.replaceAll('-', '') ?? null;
  const to = filters.studyDate?.to?.replaceAll('-', '') ?? null;
  const windowed = from !== null || to !== null;
  return {
    studyDateOk(studyDate) {
      if (!windowed) return true;
      if (!/^\d{8}$/.test(studyDate)) return false;
      return (from === null || studyDate >= from) && (to === null || studyDate <= to);
    },
    seriesFails(series) {
      if (modalities && !modalities.has(series.modality.trim().toUpperCase())) return 'modality';
      if (bodyParts && !bodyParts.has(series.bodyPart.trim().toUpperCase())) return 'bodyPart';
      if (description && !description.test(series.description)) return 'seriesDescription';
      return null;
    },
  };
}
