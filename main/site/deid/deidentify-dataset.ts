// De-identifies one parsed file: the walk over the data set, free-text cleaning once everything
// removed is known, the pseudonymous patient, the method record and new file meta information.
import type { DicomDataset, DicomFile } from '../dicom/index.ts';
import { buildFileMeta, encodeText, getString, readString, Tags } from '../dicom/index.ts';
import { compileRuleBook } from './action-resolution.ts';
import { processDataset } from './dataset-walker.ts';
import { dateOffsetDays } from './dates.ts';
import { checkOptionsCompatible, checkSecret, type DeidOption } from './deid-options.ts';
import { buildMatcher, cleanFreeText, type ValueMatcher } from './free-text.ts';
import { accessionHash, patientPseudonym, pseudonymWithoutPatientId, studyUidHash } from './keyed-hashes.ts';
import { recordMethod } from './method-record.ts';
import { asciiValue } from './dummy-values.ts';
import { newState, NORMAL, type WalkState } from './walk-state.ts';

export interface DeidSettings {
  /** The site secret (32 random bytes): keys every pseudonym, remapped UID and date offset. */
  secret: Uint8Array;
  options: readonly DeidOption[];
}

/** The de-identified identifiers of an instance, for the site's index. */
export interface DeidentifiedInstance {
  patientPseudonym: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
  modality: string;
  /** HMAC-SHA256(secret, 'accession:' + accession number) in hex, to match label CSVs later. */
  accessionHash: string | null;
  /** HMAC-SHA256(secret, 'study:' + original Study Instance UID) in hex. */
  studyUidHash: string | null;
  // For cohort filters. These are the OUTPUT's values, so they follow the options: under the Basic
  // Profile Study Date is emptied (Z) and Series Description removed (X); retain-long-full-dates keeps
  // the date, retain-long-modified-dates shifts it, clean-descriptors keeps a cleaned description.
  /** Body Part Examined (0018,0015), as written to the output ('' when absent). */
  bodyPartExamined: string;
  /** Series Description (0008,103E), as written to the output ('' when absent). */
  seriesDescription: string;
  /** Study Date (0008,0020), as written to the output: YYYYMMDD, or '' when emptied or absent. */
  studyDate: string;
}

export interface DeidentifiedDataset {
  file: DicomFile;
  instance: DeidentifiedInstance;
  /** Counts per action code applied (D, Z, X, K, C, U). */
  actions: Record<string, number>;
  /** The values removed from this input, for the verification scan of the output. */
  matcher: ValueMatcher;
}

const checkedSettings = new WeakSet<DeidSettings>();

/** Throws DeidSettingsError for a short secret or conflicting options (checked once per settings object). */
export function checkSettings(settings: DeidSettings): void {
  if (checkedSettings.has(settings)) return;
  checkSecret(settings.secret);
  checkOptionsCompatible(settings.options);
  checkedSettings.add(settings);
}

const str = (ds: DicomDataset, tag: number): string => (getString(ds, tag) ?? '').trim();

export function deidentifyDataset(file: DicomFile, settings: DeidSettings): DeidentifiedDataset {
  checkSettings(settings);
  const { secret, options } = settings;
  const input = file.dataset;
  const patientId = str(input, Tags.PatientID);
  const studyUid = str(input, Tags.StudyInstanceUID);
  const sopUid = str(input, Tags.SOPInstanceUID) || str(file.meta, Tags.MediaStorageSOPInstanceUID);
  const pseudonym = patientId
    ? patientPseudonym(secret, patientId)
    : pseudonymWithoutPatientId(secret, studyUid, sopUid);
  const modified = options.includes('retain-long-modified-dates');
  const state = newState(
    secret,
    compileRuleBook(options),
    pseudonym,
    modified ? dateOffsetDays(secret, pseudonym) : undefined,
    str(input, Tags.SOPClassUID) || str(file.meta, Tags.MediaStorageSOPClassUID),
  );

  // Group 0002 is not carried over (Source AE Title and the rest go); its instance UID is searched for.
  const metaUid = str(file.meta, Tags.MediaStorageSOPInstanceUID);
  if (metaUid && !options.includes('retain-uids')) state.removed.add('uid', metaUid);

  const out = processDataset(input, state, NORMAL, 0);
  const matcher = buildMatcher(state.removed);
  cleanPendingText(state, matcher);

  // Every output names its patient by pseudonym, even when the input left these Type 2 attributes out.
  out.set(Tags.PatientName, { tag: Tags.PatientName, vr: 'PN', value: asciiValue(pseudonym, 'PN') });
  out.set(Tags.PatientID, { tag: Tags.PatientID, vr: 'LO', value: asciiValue(pseudonym, 'LO') });
  recordMethod(out, options);

  const sopClassUid = str(out, Tags.SOPClassUID) || str(file.meta, Tags.MediaStorageSOPClassUID);
  const instance: DeidentifiedInstance = {
    patientPseudonym: pseudonym,
    studyInstanceUid: str(out, Tags.StudyInstanceUID),
    seriesInstanceUid: str(out, Tags.SeriesInstanceUID),
    sopInstanceUid: str(out, Tags.SOPInstanceUID),
    sopClassUid,
    modality: str(out, Tags.Modality),
    accessionHash: str(input, Tags.AccessionNumber)
      ? accessionHash(secret, str(input, Tags.AccessionNumber))
      : null,
    studyUidHash: studyUid ? studyUidHash(secret, studyUid) : null,
    bodyPartExamined: str(out, Tags.BodyPartExamined),
    seriesDescription: str(out, Tags.SeriesDescription),
    studyDate: str(out, Tags.StudyDate),
  };
  const meta = buildFileMeta({
    sopClassUid,
    sopInstanceUid: instance.sopInstanceUid,
    transferSyntaxUid: file.transferSyntax.uid,
  });
  return {
    file: { meta, dataset: out, transferSyntax: file.transferSyntax, hadPreamble: true },
    instance,
    actions: state.actions,
    matcher,
  };
}

/** Free text waiting for cleaning (action C): cleaned against every value removed from this file. */
function cleanPendingText(state: WalkState, matcher: ValueMatcher): void {
  for (const { owner, el, vr } of state.pending) {
    const before = readString(el);
    const after = cleanFreeText(before, matcher, vr);
    if (after !== before) owner.set(el.tag, { tag: el.tag, vr, value: encodeText(after, vr) });
  }
}
