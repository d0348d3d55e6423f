// The patient- and study-level attributes of a synthetic study, with fake PHI in the places real PHI
// hides (PS3.15 Table E.1-1 lists them): names, IDs and their sequences, contact details, staff,
// institution, free text that mentions the patient, request and reference sequences, and private
// attributes, one block of them identifying and one block holding a safe attribute (Table E.3.10-1).
import { Tags } from '../dicom/index.ts';
import type { DatasetBuilder } from './dataset-builder.ts';
import type { SiteTraits } from './site-traits.ts';
import type { PatientPlan, StudyPlan } from './study-plan.ts';
import { SynthTags as S } from './synth-tags.ts';

/** The identifying private block: an imaginary RIS vendor that copies the patient into its own tags. */
export const PHI_PRIVATE_CREATOR = 'ACME PHI 1.0';
const PHI_GROUP = 0x0009;
/** Blocks other than 0x10 make sure a de-identifier matches private tags by creator, not by number. */
const SAFE_BLOCK = 0x11;

const DETACHED_PATIENT_MANAGEMENT = '1.2.840.10008.3.1.2.1.1';
/** Detached Study Management (retired), what Referenced Study Sequence items name in the wild. */
const DETACHED_STUDY_MANAGEMENT = '1.2.840.10008.3.1.2.3.1';

export function addPatientAndStudy(b: DatasetBuilder, site: SiteTraits, p: PatientPlan, st: StudyPlan): void {
  const name = { value: p.name.natural, kind: 'name' as const };
  const mrn = { value: p.patientId, kind: 'id' as const };
  const modality = st.kind === 'CT' ? 'CT CHEST' : 'XR CHEST PA';

  b.phi('PatientName', Tags.PatientName, 'PN', p.name.pn, 'name')
    .phi('PatientID', Tags.PatientID, 'LO', p.patientId, 'id')
    .phi('IssuerOfPatientID', Tags.IssuerOfPatientID, 'LO', site.institution.issuer, 'institution')
    .text(S.TypeOfPatientID, 'CS', 'TEXT')
    .phi('OtherPatientIDs', Tags.OtherPatientIDs, 'LO', p.otherPatientId, 'id')
    .sequence('OtherPatientIDsSequence', Tags.OtherPatientIDsSequence, [
      (item) =>
        item
          .phi('PatientID', Tags.PatientID, 'LO', p.otherPatientId, 'id')
          .text(Tags.IssuerOfPatientID, 'LO', p.otherIssuer)
          .text(S.TypeOfPatientID, 'CS', 'TEXT'),
      (item) =>
        item
          .phi('PatientID', Tags.PatientID, 'LO', p.patientId, 'id')
          .phi('IssuerOfPatientID', Tags.IssuerOfPatientID, 'LO', site.institution.issuer, 'institution')
          .text(S.TypeOfPatientID, 'CS', 'TEXT'),
    ])
    .phi('OtherPatientNames', S.OtherPatientNames, 'PN', p.otherName, 'name')
    .phi('PatientBirthDate', Tags.PatientBirthDate, 'DA', p.birthDate, 'date')
    .text(Tags.PatientSex, 'CS', p.categories.sex)
    .text(Tags.PatientAge, 'AS', ageAt(p.birthDate, st.studyDate))
    .phi('PatientAddress', Tags.PatientAddress, 'LO', p.address, 'contact')
    .phi('PatientTelephoneNumbers', Tags.PatientTelephoneNumbers, 'SH', p.phone, 'contact')
    .phi('PatientMotherBirthName', S.PatientMotherBirthName, 'PN', p.motherBirthName, 'name')
    .phi('MilitaryRank', S.MilitaryRank, 'LO', p.categories.militaryRank, 'category')
    .phi('EthnicGroup', S.EthnicGroup, 'SH', p.categories.ethnicGroup, 'category')
    .phi(
      'PatientComments',
      Tags.PatientComments,
      'LT',
      `${p.name.natural} asks to be called by first name; phone ${p.phone}`,
      'free-text',
      [name, { value: p.phone, kind: 'contact' }],
    )
    .phi(
      'AdditionalPatientHistory',
      S.AdditionalPatientHistory,
      'LT',
      `${st.reason}; ex-smoker. Seen by ${p.referringPhysician.replace(/\^/g, ' ')} for ${p.name.natural}`,
      'free-text',
      [name],
    )
    .phi('ReferringPhysicianName', Tags.ReferringPhysicianName, 'PN', p.referringPhysician, 'name')
    .phi('PerformingPhysicianName', Tags.PerformingPhysicianName, 'PN', st.performingPhysician, 'name')
    .phi('OperatorsName', Tags.OperatorsName, 'PN', st.operator, 'name')
    .phi('NameOfPhysiciansReadingStudy', S.NameOfPhysiciansReadingStudy, 'PN', st.readingPhysician, 'name')
    .phi('RequestingPhysician', S.RequestingPhysician, 'PN', p.requestingPhysician, 'name')
    .phi('InstitutionName', Tags.InstitutionName, 'LO', site.institution.name, 'institution')
    .phi('InstitutionAddress', Tags.InstitutionAddress, 'ST', site.institution.address, 'institution')
    .phi(
      'InstitutionalDepartmentName',
      Tags.InstitutionalDepartmentName,
      'LO',
      site.institution.department,
      'institution',
    )
    .phi('StationName', Tags.StationName, 'SH', site.stationName, 'device')
    .phi('DeviceSerialNumber', Tags.DeviceSerialNumber, 'LO', site.deviceSerialNumber, 'device')
    .phi('AccessionNumber', Tags.AccessionNumber, 'SH', st.accessionNumber, 'id')
    .phi('StudyID', Tags.StudyID, 'SH', st.studyId, 'id')
    .phi(
      'StudyDescription',
      Tags.StudyDescription,
      'LO',
      `${modality} f/u for ${p.name.natural} MRN ${p.patientId}`,
      'free-text',
      [name, mrn],
    )
    .phi('StudyInstanceUID', Tags.StudyInstanceUID, 'UI', st.uid, 'uid')
    .phi('StudyDate', Tags.StudyDate, 'DA', st.studyDate, 'date')
    .text(Tags.StudyTime, 'TM', st.studyTime)
    .sequence('RequestAttributesSequence', Tags.RequestAttributesSequence, [
      (item) =>
        item
          .phi('RequestedProcedureID', S.RequestedProcedureID, 'SH', st.requestedProcedureId, 'id')
          .phi(
            'ScheduledProcedureStepID',
            S.ScheduledProcedureStepID,
            'SH',
            st.scheduledProcedureStepId,
            'id',
          )
          .phi('AccessionNumber', Tags.AccessionNumber, 'SH', st.accessionNumber, 'id')
          .phi(
            'RequestedProcedureDescription',
            S.RequestedProcedureDescription,
            'LO',
            `${modality} - ${p.name.natural}`,
            'free-text',
            [name],
          )
          .phi(
            'ReasonForTheRequestedProcedure',
            S.ReasonForTheRequestedProcedure,
            'LO',
            `${st.reason} (${p.patientId})`,
            'free-text',
            [mrn],
          ),
    ])
    .sequence('ReferencedStudySequence', S.ReferencedStudySequence, [
      (item) =>
        item
          .text(Tags.ReferencedSOPClassUID, 'UI', DETACHED_STUDY_MANAGEMENT)
          .phi('ReferencedSOPInstanceUID', Tags.ReferencedSOPInstanceUID, 'UI', st.referencedStudyUid, 'uid'),
    ])
    .sequence('ReferencedPatientSequence', S.ReferencedPatientSequence, [
      (item) =>
        item
          .text(Tags.ReferencedSOPClassUID, 'UI', DETACHED_PATIENT_MANAGEMENT)
          .phi('ReferencedSOPInstanceUID', Tags.ReferencedSOPInstanceUID, 'UI', p.patientRecordUid, 'uid'),
    ]);

  // Identifying private attributes: a name, an ID and a date, and a private sequence with the ID inside.
  const phiBase = b.privateBlock(PHI_GROUP, 0x10, PHI_PRIVATE_CREATOR);
  b.phi(`Private(0009,xx01 ${PHI_PRIVATE_CREATOR})`, phiBase | 0x01, 'PN', p.name.pn, 'name')
    .phi(`Private(0009,xx02 ${PHI_PRIVATE_CREATOR})`, phiBase | 0x02, 'LO', p.patientId, 'id')
    .phi(`Private(0009,xx03 ${PHI_PRIVATE_CREATOR})`, phiBase | 0x03, 'DA', p.birthDate, 'date')
    .sequence(`Private(0009,xx10 ${PHI_PRIVATE_CREATOR})`, phiBase | 0x10, [
      (item) => {
        const inner = item.privateBlock(PHI_GROUP, 0x10, PHI_PRIVATE_CREATOR);
        item
          .phi('PatientID', Tags.PatientID, 'LO', p.patientId, 'id')
          .phi(`Private(0009,xx02 ${PHI_PRIVATE_CREATOR})`, inner | 0x02, 'LO', p.otherPatientId, 'id')
          .phi('AccessionNumber', Tags.AccessionNumber, 'SH', st.accessionNumber, 'id');
      },
    ]);

  // A safe private attribute (kept under Retain Safe Private) next to an unsafe one in the same block.
  const safe = site.safePrivate;
  const safeBase = b.privateBlock(safe.group, SAFE_BLOCK, safe.creator);
  b.text(safeBase | safe.elementInBlock, safe.vr, (38 + (p.index % 5) * 0.5).toFixed(3));
  b.phi(`Private(${hex4(safe.group)},xx50 ${safe.creator})`, safeBase | 0x50, 'LO', st.operator, 'name');
}

/** Age string (AS, PS3.5 6.2): whole years at the study date, as "067Y". */
function ageAt(birth: string, at: string): string {
  let years = Number(at.slice(0, 4)) - Number(birth.slice(0, 4));
  if (at.slice(4) < birth.slice(4)) years--;
  return `${String(Math.max(0, years)).padStart(3, '0')}Y`;
}

const hex4 = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');
