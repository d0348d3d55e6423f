// One file in, one outcome out: parse, de-identify, apply the burned-in policy, write, verify.
// Bad input never throws: it is 'rejected' with a one-line reason that names tags, offsets and
// kinds of values only, never a value from the file.
import type { DicomFile } from '../dicom/index.ts';
import { DicomParseError, DicomWriteError, getString, parseDicom, Tags, writeDicom } from '../dicom/index.ts';
import { burnedInTextRisk, documentRisk } from './burned-in.ts';
import { DeidSettingsError } from './deid-options.ts';
import {
  checkSettings,
  deidentifyDataset,
  type DeidentifiedDataset,
  type DeidentifiedInstance,
  type DeidSettings,
} from './deidentify-dataset.ts';
import { verifyOutput } from './verification.ts';

export interface InstanceOutcome {
  status: 'deidentified' | 'held' | 'rejected';
  reason: string | null;
  /** Part 10 chunks (write them in order, e.g. with fs.writev), only when de-identified. */
  output: Buffer[] | null;
  /** The de-identified identifiers, also for held files when known. */
  instance: DeidentifiedInstance | null;
  /** Counts per action code applied (D, Z, X, K, C, U). */
  actions: Record<string, number>;
  /**
   * Only from deidentifyHeader: the offset in the source of its pixel data value, which was not read.
   * The de-identified file is `output` followed by the source's bytes from there to its end.
   */
  sourceTailFrom?: number;
}

const MEDIA_STORAGE_DIRECTORY = '1.2.840.10008.1.3.10';

const rejected = (reason: string): InstanceOutcome => ({
  status: 'rejected',
  reason,
  output: null,
  instance: null,
  actions: {},
});

const held = (reason: string, r: DeidentifiedDataset): InstanceOutcome => ({
  status: 'held',
  reason,
  output: null,
  instance: r.instance,
  actions: r.actions,
});

/** Error class names only: an unexpected error's message could quote data. */
const errorName = (e: unknown): string => (e instanceof Error ? e.name : typeof e);

/**
 * De-identifies one DICOM file. Throws only DeidSettingsError (a short secret, conflicting options):
 * a problem with the settings, not with the file.
 */
export function deidentifyInstance(bytes: Uint8Array, settings: DeidSettings): InstanceOutcome {
  checkSettings(settings);
  let file: DicomFile;
  try {
    file = parseDicom(bytes);
  } catch (e) {
    if (e instanceof DicomParseError) return rejected(`not a readable DICOM file (${e.code}): ${e.message}`);
    return rejected(`not a readable DICOM file (${errorName(e)})`);
  }
  return deidentifyParsed(file, settings);
}

/**
 * De-identifies a file from its first bytes, when its pixel data is its last element and begins
 * within them: the pixel data value is neither read nor copied here (see sourceTailFrom), and the
 * output is padded to the source's header length where it can be, so that it can be written over a
 * copy of the source made by the kernel. Null when the first bytes do not do: read the whole file
 * and use deidentifyInstance, which also gives the reason for a file that cannot be read.
 */
export function deidentifyHeader(
  head: Uint8Array,
  fileSize: number,
  settings: DeidSettings,
): InstanceOutcome | null {
  checkSettings(settings);
  let file: DicomFile;
  try {
    file = parseDicom(head, { fileSize });
  } catch {
    return null;
  }
  const sourceTailFrom = file.dataset.get(Tags.PixelData)?.deferred?.offset;
  if (sourceTailFrom === undefined) return null;
  // An element with a higher tag, placed out of order before the pixel data, is written after it.
  for (const tag of file.dataset.keys()) if (tag > Tags.PixelData) return null;
  const outcome = deidentifyParsed(file, settings, sourceTailFrom);
  return outcome.output ? { ...outcome, sourceTailFrom } : outcome;
}

function deidentifyParsed(file: DicomFile, settings: DeidSettings, headerLength?: number): InstanceOutcome {
  const uid = (tag: number, metaTag: number): string =>
    (getString(file.dataset, tag) ?? '').trim() || (getString(file.meta, metaTag) ?? '').trim();
  const sopClassUid = uid(Tags.SOPClassUID, Tags.MediaStorageSOPClassUID);
  if (sopClassUid === MEDIA_STORAGE_DIRECTORY) {
    return rejected('a DICOMDIR (media directory), not an instance: de-identify the files it lists instead');
  }
  if (!sopClassUid || !(getString(file.dataset, Tags.SOPInstanceUID) ?? '').trim()) {
    return rejected(
      'not a composite instance: SOP Class UID (0008,0016) or SOP Instance UID (0008,0018) is missing; re-export it from the source',
    );
  }

  let result: DeidentifiedDataset;
  try {
    result = deidentifyDataset(file, settings);
  } catch (e) {
    if (e instanceof DeidSettingsError) throw e;
    return rejected(`could not be de-identified (${errorName(e)}): the file's structure is not supported`);
  }
  const risk = documentRisk(sopClassUid) ?? burnedInTextRisk(file.dataset, sopClassUid);
  if (risk) return held(risk, result);

  let chunks: Buffer[];
  try {
    chunks = writeDicom(result.file, { headerLength });
  } catch (e) {
    const what = e instanceof DicomWriteError ? `${e.code}: ${e.message}` : errorName(e);
    return rejected(`the de-identified file could not be written (${what})`);
  }
  const leak = verifyOutput(chunks, result.file, result.matcher);
  if (leak) return held(leak, result);
  return {
    status: 'deidentified',
    reason: null,
    output: chunks,
    instance: result.instance,
    actions: result.actions,
  };
}
