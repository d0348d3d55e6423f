// The Studies page's browser of the research store: each stored study by pseudonym, modality and
// counts, and a thumbnail rendered here in the agent (main/site/burned-in's renderForDisplay) from the
// de-identified research copy only: the quarantine is never read, and only a small PNG reaches the
// local screen.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoredStudiesView, StudyThumbnailView } from '../../../shared/ipc/index.ts';
import { renderForDisplay } from '../burned-in/index.ts';
import type { IngestSite } from '../ingest/index.ts';
import { RadfedError } from '../../../shared/errors.ts';

/** Studies listed at once: a page of thumbnails a person can take in. */
export const SHOWN_STUDIES = 48;
/** Longest side of a thumbnail, in pixels (shown at 128 CSS pixels; sharp on a 1.5× screen). */
export const THUMBNAIL_SIZE = 192;
/** Thumbnails kept in memory: enough for a page of the list, small (about 40 KB each at most). */
const CACHED_THUMBNAILS = 128;

export class StoredStudyError extends RadfedError<'study-not-found' | 'study-picture-unreadable'> {
  override readonly name = 'StoredStudyError';
}

interface StudyRow {
  key: string;
  patient: string;
  modalities: string;
  series: number;
  images: number;
  storedAt: string;
}

export function storedStudies(site: IngestSite): StoredStudiesView {
  const db = site.database;
  const rows = db
    .prepare<[number], StudyRow>(
      `SELECT st.study_uid AS key, st.patient_pseudonym AS patient, st.modalities,
              (SELECT COUNT(*) FROM series se WHERE se.study_uid = st.study_uid) AS series,
              (SELECT COUNT(*) FROM instances i JOIN series se ON se.series_uid = i.series_uid
                WHERE se.study_uid = st.study_uid) AS images,
              st.created_at AS storedAt
         FROM studies st ORDER BY st.created_at DESC, st.study_uid LIMIT ?`,
    )
    .all(SHOWN_STUDIES);
  const total = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM studies').get()?.n ?? 0;
  return {
    studies: rows.map((row) => ({
      ...row,
      modalities: row.modalities.split('\\').filter((m) => m.length > 0),
    })),
    total,
  };
}

/** Renders and remembers thumbnails; one per site session. */
export class StudyThumbnails {
  readonly #cache = new Map<string, StudyThumbnailView>();

  async thumbnail(site: IngestSite, key: string): Promise<StudyThumbnailView> {
    const path = middleImageOf(site, key);
    const cacheKey = `${key}\n${path}`;
    const cached = this.#cache.get(cacheKey);
    if (cached) return cached;
    let view: StudyThumbnailView;
    try {
      const { png, width, height } = await renderForDisplay(await readFile(path), {
        maxSize: THUMBNAIL_SIZE,
      });
      view = { key, pngBase64: Buffer.from(png).toString('base64'), width, height };
    } catch (error) {
      // Said without the file's path: the page shows a placeholder and these words.
      throw new StoredStudyError(
        'study-picture-unreadable',
        'RadFed could not draw a picture of this study (its images may use a format the preview does not read). The study itself is stored and can be used for training.',
        { cause: error },
      );
    }
    if (this.#cache.size >= CACHED_THUMBNAILS) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(cacheKey, view);
    return view;
  }
}

/** The stored file of the middle image of the study's first series (the most typical view). */
function middleImageOf(site: IngestSite, key: string): string {
  const db = site.database;
  const series = db
    .prepare<[string], { uid: string; n: number }>(
      `SELECT se.series_uid AS uid, COUNT(i.sop_uid) AS n FROM series se
           JOIN instances i ON i.series_uid = se.series_uid
          WHERE se.study_uid = ? GROUP BY se.series_uid ORDER BY se.created_at, se.series_uid LIMIT 1`,
    )
    .get(key);
  const row = series
    ? db
        .prepare<[string, number], { path: string }>(
          'SELECT path FROM instances WHERE series_uid = ? ORDER BY path LIMIT 1 OFFSET ?',
        )
        .get(series.uid, Math.floor(series.n / 2))
    : undefined;
  if (!row) {
    throw new StoredStudyError(
      'study-not-found',
      'This study is no longer in the research store (it may have been withdrawn). Refresh the list.',
    );
  }
  return join(site.paths.research, ...row.path.split('/'));
}
