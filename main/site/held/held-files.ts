// The files de-identification held back, as a person reviews them: each with its reason in plain
// words (the engine's own sentence kept as the technical detail), where it came from and what may be
// done with it. Rows hold random quarantine names and reasons that never quote a value from the file,
// so nothing here can identify a patient.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { HeldAction, HeldQueueFile, HeldKind } from '../../../shared/ipc/index.ts';
import type { IngestSite } from '../ingest/index.ts';
import { RadfedError } from '../../../shared/errors.ts';

/** A held row as the review needs it (not exported beyond this room: it holds the input's hash). */
export interface HeldRow {
  id: number;
  inputSha256: string;
  reason: string;
  quarantineName: string;
  patientPseudonym: string | null;
  heldAt: string;
  /** The ingest run that held it. */
  ingestRunId: number | null;
}

/** Part of the reason of an image the held-file policy cleaned at ingest for a person to check. */
export const CLEANED_FOR_REVIEW = 'cleaned automatically, waiting for a person to check the picture';

export class HeldFileError extends RadfedError<
  'held-not-found' | 'held-action-not-allowed' | 'held-copy-missing' | 'held-name-required' | 'held-too-large'
> {
  override readonly name = 'HeldFileError';
}

const SELECT = `SELECT id, input_sha256 AS inputSha256, reason, quarantine_name AS quarantineName,
  patient_pseudonym AS patientPseudonym, held_at AS heldAt, ingest_run_id AS ingestRunId FROM held`;

export function heldRows(site: IngestSite): HeldRow[] {
  return site.database.prepare<[], HeldRow>(`${SELECT} ORDER BY id`).all();
}

/** The held row with this number; throws `held-not-found` with what to do when there is none. */
export function heldRow(site: IngestSite, id: number): HeldRow {
  const row = site.database.prepare<[number], HeldRow>(`${SELECT} WHERE id = ?`).get(id);
  if (!row) {
    throw new HeldFileError(
      'held-not-found',
      `There is no held file number ${id}: it may have been released or deleted already. List the held files again.`,
    );
  }
  return row;
}

export function kindOf(reason: string): HeldKind {
  if (reason.includes('burned-in text')) return 'burned-in-text';
  if (reason.includes('encapsulated document')) return 'document';
  if (reason.startsWith('not released:') && / found in /.test(reason)) return 'identifier-left';
  return 'other';
}

/** The engine's words for a kind of image (burned-in.ts), as a radiographer would say it. */
const IMAGE_NOUNS: Readonly<Record<string, string>> = {
  ultrasound: 'an ultrasound image',
  'intravascular ultrasound': 'an intravascular ultrasound image',
  'ultrasound multi-frame': 'an ultrasound clip',
  'external-camera photography': 'a photograph',
  endoscopy: 'an endoscopy image',
  'general microscopy': 'a microscopy image',
  'slide microscopy': 'a microscopy image',
  'ophthalmic photography': 'an eye photograph',
  'other (often screenshots)': 'a screenshot or other capture',
  'secondary capture': 'a screen capture',
  'scanned document': 'a scanned document',
  'visible light (photographic, endoscopic, microscopic or video)': 'a photograph or video',
  'intravascular imaging': 'an intravascular image',
};

/** What kind of image the engine's reason names ("modality US (ultrasound)", "a ... SOP class"). */
function imageNoun(reason: string): string | null {
  const what = /modality \S+ \(([^)]+\)?)\)/.exec(reason)?.[1] ?? /a (.+?) SOP class/.exec(reason)?.[1];
  if (what !== undefined) return IMAGE_NOUNS[what] ?? null;
  if (reason.includes('Conversion Type')) return 'a capture, scan or screenshot';
  if (reason.includes('screen capture')) return 'a screen capture';
  return null;
}

export function plainReason(reason: string): string {
  switch (kindOf(reason)) {
    case 'burned-in-text': {
      if (reason.includes(CLEANED_FOR_REVIEW)) {
        return 'RadFed covered the text it found in the picture. Check the cleaned picture: release it if no patient details are left, or delete it.';
      }
      const notCleaned = /cleaning could not make it safe \((.+)\)$/.exec(reason);
      if (notCleaned) {
        return `RadFed tried to remove the text in the picture but could not be sure it was all gone: ${notCleaned[1]} Check the picture: release it if there is no such text, or delete it.`;
      }
      if (reason.includes('is YES')) {
        return 'The image says it has text written into the picture itself, which may show patient details. Check the picture: clean it, or release it if there is no such text.';
      }
      const noun = imageNoun(reason);
      return `${noun ? `This is ${noun}: images` : 'Images'} like this often have patient details written into the picture itself. Check the picture: clean it, or release it if there is no such text.`;
    }
    case 'document':
      return 'This is a document (a PDF or similar) whose contents RadFed cannot check for patient details. It cannot be released; delete it.';
    case 'identifier-left':
      return 'A patient detail was still found in the file after de-identification, so it was kept back to be safe. It cannot be released; delete it, and tell your RadFed contact if it happens often.';
    case 'other':
      return 'De-identification kept this file back. Delete it, or tell your RadFed contact.';
  }
}

function actionsFor(kind: HeldKind, copyPresent: boolean): HeldAction[] {
  if (!copyPresent || kind !== 'burned-in-text') return ['delete'];
  return ['clean', 'release-as-is', 'delete'];
}

export function heldFileView(site: IngestSite, row: HeldRow): HeldQueueFile {
  const kind = kindOf(row.reason);
  const copyPresent = existsSync(quarantinePath(site, row));
  return {
    id: row.id,
    kind,
    plainReason: plainReason(row.reason),
    technicalReason: row.reason,
    heldAt: row.heldAt,
    source: sourceOf(site, row),
    copyPresent,
    actions: actionsFor(kind, copyPresent),
  };
}

/**
 * Where a held file came from: the receiver's queue by its name; the watched folder by its ingest run's
 * audit entry (runs fed by the watched folder record their source there); otherwise an import.
 */
function sourceOf(site: IngestSite, row: HeldRow): HeldQueueFile['source'] {
  if (row.quarantineName.startsWith('incoming/')) return 'receiver';
  if (row.ingestRunId === null) return 'import';
  const source = site.database
    .prepare<[number], string>(
      `SELECT json_extract(detail, '$.source') FROM audit_log
       WHERE type IN ('ingest.completed', 'ingest.failed') AND json_extract(detail, '$.runId') = ? LIMIT 1`,
    )
    .pluck()
    .get(row.ingestRunId);
  return source === 'watched-folder' ? 'watched-folder' : 'import';
}

export function quarantinePath(site: IngestSite, row: Pick<HeldRow, 'quarantineName'>): string {
  return join(site.paths.quarantine, ...row.quarantineName.split('/'));
}

/** Every held file, oldest first. */
export function listHeldFiles(site: IngestSite): HeldQueueFile[] {
  return heldRows(site).map((row) => heldFileView(site, row));
}

/** Throws `held-action-not-allowed` when `action` is not one this held file offers, saying why. */
export function checkAction(file: HeldQueueFile, action: HeldAction): void {
  if (file.actions.includes(action)) return;
  const why = !file.copyPresent
    ? 'its identified copy is no longer in quarantine, so there is nothing to release; delete the entry'
    : 'it was not held for text in the picture, so releasing or cleaning it would not make it safe; delete it';
  throw new HeldFileError(
    'held-action-not-allowed',
    `Held file number ${file.id} cannot be released: ${why}.`,
  );
}

/** The largest held file read whole to show, clean or release it (larger: delete it, or re-export it in parts). */
export const MAX_HELD_READ = 1024 * 1024 * 1024;

/** The identified copy's bytes, read whole; a copy that is gone or too large gets a sentence saying what to do. */
export async function readHeldCopy(site: IngestSite, row: HeldRow): Promise<Buffer> {
  const path = quarantinePath(site, row);
  try {
    const { size } = await stat(path);
    if (size > MAX_HELD_READ) {
      throw new HeldFileError(
        'held-too-large',
        `Held file number ${row.id} is larger than 1 GiB, too large to show or clean here. Delete it, and export the study in smaller files (one series or frame per file) to import it again.`,
      );
    }
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new HeldFileError(
      'held-copy-missing',
      `Held file number ${row.id} is no longer in quarantine, so there is nothing to show or release. Delete its entry.`,
    );
  }
}
