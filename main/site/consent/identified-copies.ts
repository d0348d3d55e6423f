// Identified copies found by what they hold, not by what the index says: a withdrawal must remove
// every copy of the patient in quarantine, including one no held entry names (an ingest killed
// mid-file, the receiver's queue, a copy another process is working on). Each file's Patient ID is
// read from its header and keyed like every pseudonym (main/site/deid), so raw IDs are compared
// only in memory, and only the pseudonym is ever returned.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { FolderWalkError, walkFolder } from '../../../shared/node/index.ts';
import { getString, parseDicom, Tags, type DicomFile } from '../dicom/index.ts';
import { patientPseudonym } from '../deid/index.ts';

/** The header is read from these many first bytes: Patient ID (0010,0020) comes long before pixel data. */
const HEAD_READS = [64 * 1024, 1024 * 1024];
/** (7FE0,0010) Pixel Data, little endian: a header can be parsed up to where it starts. */
const PIXEL_DATA_TAG = Buffer.from([0xe0, 0x7f, 0x10, 0x00]);

export interface IdentifiedCopies {
  /** Pseudonym → paths relative to the quarantine folder, with forward slashes. */
  byPseudonym: Map<string, string[]>;
  /** Files whose header could not be read: they could belong to anyone. */
  unreadable: number;
  /** Folders under quarantine that could not be listed: their files could belong to anyone. */
  unreadableFolders: number;
}

/**
 * Every file under `quarantineDir`, by the pseudonym of the Patient ID in its header. Links are not
 * followed (quarantine holds files the site wrote). A sub-folder that cannot be listed is counted and
 * the rest is still searched: one bad folder must not hide every other copy from a withdrawal.
 */
export async function findIdentifiedCopies(
  quarantineDir: string,
  secret: Uint8Array,
): Promise<IdentifiedCopies> {
  const found: IdentifiedCopies = { byPseudonym: new Map(), unreadable: 0, unreadableFolders: 0 };
  let files: string[];
  try {
    const listing = await walkFolder(quarantineDir, { followLinks: false });
    files = listing.files;
    found.unreadableFolders = listing.unreadableFolders.length;
  } catch (error) {
    if (error instanceof FolderWalkError) return found; // no quarantine folder: nothing to find
    throw error;
  }
  for (const path of files) {
    const patientId = patientIdIn(path);
    if (patientId === null) {
      found.unreadable += 1;
      continue;
    }
    if (patientId === '') continue; // no Patient ID: no withdrawal by ID can name it
    const pseudonym = patientPseudonym(secret, patientId);
    const list = found.byPseudonym.get(pseudonym) ?? [];
    list.push(relative(quarantineDir, path).split(sep).join('/'));
    found.byPseudonym.set(pseudonym, list);
  }
  return found;
}

/** The trimmed Patient ID of a DICOM file ('' when it has none), or null when no header can be read. */
export function patientIdIn(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
    // Most headers are in the first 64 KiB; a long one (vendor private data) gets a second, longer read.
    for (const length of HEAD_READS) {
      const head = Buffer.alloc(Math.min(size, length));
      readSync(fd, head, 0, head.length, 0);
      const file = parsedHeader(head, size);
      if (file !== null) return (getString(file.dataset, Tags.PatientID) ?? '').trim();
      if (head.length === size) break;
    }
    return null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * The file parsed from its first bytes; failing that (a copy cut short by a killed process, whose
 * pixel data does not reach its declared end), the part before its pixel data, wherever that parses.
 */
function parsedHeader(head: Buffer, size: number): DicomFile | null {
  try {
    return parseDicom(head, size > head.length ? { fileSize: size } : {});
  } catch {
    // Below.
  }
  for (let at = head.indexOf(PIXEL_DATA_TAG); at > 0; at = head.indexOf(PIXEL_DATA_TAG, at + 1)) {
    try {
      return parseDicom(head.subarray(0, at));
    } catch {
      // Those bytes were inside some value: try the next.
    }
  }
  return null;
}
