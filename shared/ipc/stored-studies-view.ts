// The Studies page's list of what the research store holds: one entry per stored study, with a
// thumbnail the agent renders from the de-identified research copy (never from an identified file).

/** A study in the research store, as a person browses it: no identifier, only the pseudonym. */
export interface StoredStudyView {
  /** The study's de-identified UID: an opaque key to ask for its thumbnail, never shown. */
  key: string;
  /** The patient's pseudonym (RF + 16 hex digits). */
  patient: string;
  /** Modalities in the study, e.g. ["CT"]. */
  modalities: string[];
  series: number;
  images: number;
  /** When the study was first stored (ISO 8601). */
  storedAt: string;
}

export interface StoredStudiesView {
  /** Newest first, at most `shown` of them. */
  studies: StoredStudyView[];
  /** How many studies the store holds in all. */
  total: number;
}

/** A study's thumbnail: the middle image of its first series, windowed and scaled down, as PNG. */
export interface StudyThumbnailView {
  key: string;
  pngBase64: string;
  width: number;
  height: number;
}
