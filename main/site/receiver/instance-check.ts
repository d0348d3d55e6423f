// The check a received instance passes before it is acknowledged: it must decode as a DICOM data set
// in the negotiated transfer syntax, and be the object the C-STORE command announced (PS3.4 B.2.3:
// the SOP Class and Instance UIDs of the data set match the command's Affected SOP Class and
// Instance UIDs). What fails gets a failure status, so the sender knows it was not stored.
// De-identification comes after the acknowledgement; its verdicts (held, rejected) are the site's.
import { readFile } from 'node:fs/promises';
import { DicomParseError, getString, parseDicom, Tags } from '../dicom/index.ts';
import { refused, StoreStatus, stored, type StoreVerdict } from './store-status.ts';

export interface AnnouncedInstance {
  sopClassUid: string;
  sopInstanceUid: string;
}

const UID = /^[0-9]+(\.[0-9]+)*$/;

/** Whether a UID from a C-STORE command is usable (PS3.5 9.1: digits and dots, at most 64). */
export function isUsableUid(uid: string): boolean {
  return uid.length > 0 && uid.length <= 64 && UID.test(uid);
}

export async function checkReceivedInstance(
  path: string,
  announced: AnnouncedInstance,
): Promise<StoreVerdict> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    return refused(StoreStatus.OutOfResources, 'the received instance could not be read back from disk');
  }
  let dataset;
  try {
    dataset = parseDicom(bytes).dataset;
  } catch (error) {
    const detail = error instanceof DicomParseError ? error.code : 'malformed';
    return refused(StoreStatus.CannotUnderstand, `the data set could not be decoded (${detail})`);
  }
  const sopClass = getString(dataset, Tags.SOPClassUID)?.trim();
  const sopInstance = getString(dataset, Tags.SOPInstanceUID)?.trim();
  if (sopClass !== announced.sopClassUid) {
    return refused(
      StoreStatus.DataSetDoesNotMatchSopClass,
      sopClass
        ? 'the data set is of another SOP class than the command said'
        : 'the data set has no SOP Class UID',
    );
  }
  if (sopInstance !== announced.sopInstanceUid) {
    return refused(
      StoreStatus.CannotUnderstand,
      sopInstance
        ? 'the data set is another instance than the command said (SOP Instance UID differs)'
        : 'the data set has no SOP Instance UID',
    );
  }
  return stored;
}
