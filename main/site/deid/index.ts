// De-identification (PS3.15 Annex E): Table E.1-1's Basic Profile and its ten options, a burned-in
// text policy, and verification of every output before release.
export { deidentifyHeader, deidentifyInstance } from './instance-pipeline.ts';
export type { InstanceOutcome } from './instance-pipeline.ts';
export { deidentifyDataset } from './deidentify-dataset.ts';
export type { DeidentifiedDataset, DeidentifiedInstance, DeidSettings } from './deidentify-dataset.ts';
export { DEID_OPTIONS, DeidSettingsError, parseDeidOptions } from './deid-options.ts';
export type { DeidOption, DeidSettingsErrorCode } from './deid-options.ts';
export { accessionHash, patientPseudonym, studyUidHash } from './keyed-hashes.ts';
export { remapUid } from './uid-remap.ts';
export { dateOffsetDays } from './dates.ts';
export { METHOD_CODES, PROFILE_EDITION } from './method-record.ts';
export { profileTable } from './profile-table.ts';
