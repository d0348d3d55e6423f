// How `radfed deid` and `radfed site ingest` name an input file on the terminal and in a report:
// by its number in the run and the start of its SHA-256, never by its path or name.
//
// Why not the path, nor even the path below the folder the operator gave: hospital exports name
// folders and files after the patient (`/import/DOE^JOHN_19600101/CT/1.dcm`), and a terminal is
// scrolled back, copied into tickets and screenshots, and the deid report travels with the
// de-identified files. The number says where the file is in the run ("file 12 of 340"); the SHA-256
// finds it on disk without anyone having to print its name (FIND_BY_SHA256 says how).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Hex digits of the SHA-256 shown: 48 bits, far more than enough to tell a run's files apart. */
export const SHA256_SHOWN = 12;

/** "file 12 of 340 (SHA-256 1a2b3c4d5e6f)", or without the hash when the file could not be read. */
export function inputFileLabel(number: number, total: number, sha256: string | null): string {
  const hash = sha256 === null ? '' : ` (SHA-256 ${sha256.slice(0, SHA256_SHOWN)})`;
  return `file ${number} of ${total}${hash}`;
}

/** What to do with a label: how to find the files it names, with no path printed. */
export const FIND_BY_SHA256 =
  'To find a file named by its SHA-256 above: find <the folder you gave> -type f -exec sha256sum {} + | grep <its 12 characters>. ' +
  'Files named without one could not be read: find <the folder you gave> -type f ! -readable lists them.';

/** The SHA-256 of a file as hex, read in pieces; null when it cannot be read. */
export async function sha256OfFile(path: string): Promise<string | null> {
  const hash = createHash('sha256');
  try {
    for await (const piece of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
      hash.update(piece as Buffer);
    }
  } catch {
    return null; // Unreadable: the reason printed beside the label says so.
  }
  return hash.digest('hex');
}
