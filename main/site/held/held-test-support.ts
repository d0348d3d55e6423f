// For the held-file specs: a real site in a temp folder with real files that de-identification holds
// back: pydicom's CT marked Burned In Annotation YES (held for text in the picture, released once a
// person checks it), and pydicom's secondary capture (held for its kind). Each carries a patient name
// and ID chosen to be easy to find, so a spec can check that neither ever comes back.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDicom, setString, Tags, writeDicom } from '../dicom/index.ts';
import { ingestPath } from '../ingest/index.ts';
import { initSite, openSite, type Site } from '../store/index.ts';

export const PYDICOM_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
/** Identifying values written into every test file (and the folder's name). */
export const PATIENT_NAME = 'MORIARTY^JAMES';
export const PATIENT_ID = 'PID88771234';

export interface HeldTestSite {
  root: string;
  site: Site;
  /** The folder of inputs (named after the patient). */
  inbox: string;
  close(): void;
}

/** A copy of a pydicom test file with our patient, and Burned In Annotation set when given. */
export function identifiedCopy(source: string, burnedIn?: 'YES' | 'NO'): Buffer {
  const file = parseDicom(readFileSync(join(PYDICOM_FILES, source)));
  setString(file.dataset, Tags.PatientName, 'PN', PATIENT_NAME);
  setString(file.dataset, Tags.PatientID, 'LO', PATIENT_ID);
  if (burnedIn) setString(file.dataset, Tags.BurnedInAnnotation, 'CS', burnedIn);
  return Buffer.concat(writeDicom(file));
}

/** Writes the held inputs: `ct-burned-in.dcm` (CT, Burned In Annotation YES) and `capture.dcm` (SC). */
export function writeHeldInputs(folder: string): void {
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'ct-burned-in.dcm'), identifiedCopy('CT_small.dcm', 'YES'));
  writeFileSync(join(folder, 'capture.dcm'), identifiedCopy('SC_rgb_small_odd.dcm'));
}

/** A site (opt-out consent) whose first ingest held the two files of `writeHeldInputs`. */
export async function openHeldTestSite(): Promise<HeldTestSite> {
  const root = mkdtempSync(join(tmpdir(), 'radfed-held-'));
  const directory = join(root, 'site');
  initSite(directory, { name: 'Held Test Site', deidOptions: [], consentPolicy: 'opt-out' });
  const site = openSite(directory);
  const inbox = join(root, `${PATIENT_NAME} ${PATIENT_ID}`);
  writeHeldInputs(inbox);
  const summary = await ingestPath(site, inbox, { actor: 'test' });
  if (summary.held !== 2) throw new Error(`expected 2 held files, got ${JSON.stringify(summary)}`);
  return {
    root,
    site,
    inbox,
    close() {
      site.database.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
