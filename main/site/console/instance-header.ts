// Finds the two headers the Studies page compares for one instance. The original is only at hand
// where the site still has it: an import of this session (the operator's source file, read only)
// or a held file (its identified copy in quarantine). Stored instances of earlier imports have no
// original here: identified copies are deleted once de-identified, and the page says so.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HeaderComparison, HeaderSource, ImportFileStatus } from '../../../shared/ipc/index.ts';
import { deidentifyDataset, parseDeidOptions, type DeidentifiedDataset } from '../deid/index.ts';
import { parseDicom, type DicomFile } from '../dicom/index.ts';
import type { IngestSite } from '../ingest/index.ts';
import { compareHeaders } from './header-comparison.ts';
import { StudiesViewError, type ImportJobs } from './import-jobs.ts';

const NO_HEADER: Partial<Record<ImportFileStatus, string>> = {
  rejected: 'This file could not be read as DICOM, so it has no header to show. The reason is in the list.',
  failed:
    'This file could not be processed, so there is no de-identified header to show. The reason is in the list.',
  excluded:
    'This file was not stored: its patient is not in by consent. Its header is not shown, and nothing of it is kept.',
};

export async function instanceHeader(
  site: IngestSite,
  jobs: ImportJobs,
  source: HeaderSource,
): Promise<HeaderComparison> {
  return source.kind === 'held' ? heldHeader(site, source.heldId) : importHeader(site, jobs, source);
}

async function importHeader(
  site: IngestSite,
  jobs: ImportJobs,
  source: { importId: string; file: number },
): Promise<HeaderComparison> {
  const file = jobs.file(source.importId, source.file);
  const base = { outcome: file.status, rows: [] };
  const noHeader = NO_HEADER[file.status];
  if (noHeader) return { ...base, beforeFrom: '', afterFrom: '', notice: noHeader };
  const bytes = await readFile(file.source).catch(() => null);
  const original = bytes === null ? null : parseOrNull(bytes);
  if (original === null || bytes === null) {
    const stored = bytes === null ? null : await storedFile(site, sha256(bytes));
    return {
      ...base,
      beforeFrom: '',
      afterFrom: stored ? 'the stored de-identified file' : '',
      notice:
        'The source file is no longer where it was imported from (moved or deleted), and the site keeps no identified copy of what it stored.',
      rows: stored ? compareHeaders(null, stored) : [],
    };
  }
  if (file.status === 'held') {
    return {
      ...base,
      beforeFrom: 'the source file',
      afterFrom: 'de-identification of it, held back for review (not stored)',
      notice: null,
      rows: compareWithUnreleased(original, site, bytes),
    };
  }
  const stored = await storedFile(site, sha256(bytes));
  return {
    ...base,
    beforeFrom: 'the source file',
    afterFrom: stored ? 'the stored de-identified file' : 'de-identification of it (not stored)',
    notice: stored ? null : 'The stored copy of this file is gone (purged by a consent withdrawal, for one).',
    rows: stored ? compareHeaders(original, stored) : compareWithUnreleased(original, site, bytes),
  };
}

async function heldHeader(site: IngestSite, heldId: number): Promise<HeaderComparison> {
  const held = site.database
    .prepare<[number], { quarantineName: string }>(
      'SELECT quarantine_name AS quarantineName FROM held WHERE id = ?',
    )
    .get(heldId);
  if (held === undefined) {
    throw new StudiesViewError(
      'unknown-held-file',
      'That held file is no longer held (released or purged). Reload the report.',
    );
  }
  const bytes = await readFile(join(site.paths.quarantine, held.quarantineName)).catch(() => null);
  const original = bytes === null ? null : parseOrNull(bytes);
  if (original === null || bytes === null) {
    return {
      beforeFrom: '',
      afterFrom: '',
      notice:
        'The identified copy of this held file is missing from the quarantine folder, so no header can be shown.',
      outcome: 'held',
      rows: [],
    };
  }
  return {
    beforeFrom: 'the identified copy kept in quarantine',
    afterFrom: 'de-identification of it, held back for review (not stored)',
    notice: null,
    outcome: 'held',
    rows: compareWithUnreleased(original, site, bytes),
  };
}

/** The stored de-identified file made from the input with this SHA-256, or null. */
async function storedFile(site: IngestSite, inputSha256: string): Promise<DicomFile | null> {
  const path = site.database
    .prepare<[string], string>(
      'SELECT path FROM instances JOIN instance_sources USING (sop_uid) WHERE instance_sources.input_sha256 = ?',
    )
    .pluck()
    .get(inputSha256);
  if (path === undefined) return null;
  const bytes = await readFile(join(site.paths.research, ...path.split('/'))).catch(() => null);
  return bytes === null ? null : parseOrNull(bytes);
}

/**
 * The original against its de-identification in memory, which was not released (held back, or not
 * stored): its values may still hold what verification found, so every value it removed is masked
 * wherever it shows up.
 */
function compareWithUnreleased(original: DicomFile, site: IngestSite, bytes: Uint8Array) {
  const deidentified = deidentifiedInMemory(site, bytes);
  return compareHeaders(original, deidentified.file, { removedValues: deidentified.matcher.regex });
}

/** The same de-identification ingest applies (same secret and options, so the same result). */
function deidentifiedInMemory(site: IngestSite, bytes: Uint8Array): DeidentifiedDataset {
  // Parsed again: the walk may reuse the parsed input's elements, and the original must stay as read.
  const original = parseDicom(bytes);
  const options = parseDeidOptions(site.config.deidOptions);
  return deidentifyDataset(original, { secret: site.secret, options });
}

function parseOrNull(bytes: Uint8Array): DicomFile | null {
  try {
    return parseDicom(bytes);
  } catch {
    return null;
  }
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
