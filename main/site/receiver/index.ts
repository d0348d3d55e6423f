// The DICOM receiver: a C-STORE SCP that feeds the site's ingest (see dicom-receiver.ts).
export { DicomReceiver, ReceiverError, type DicomReceiverOptions } from './dicom-receiver.ts';
export type { ReceiverEvent } from './receiver-events.ts';
export { DEFAULT_LIMITS, type ReceiverLimits } from './receiver-limits.ts';
export type { CutCode } from './connection-words.ts';
export type { AssociationRefusal, ClosedHow } from './store-scp.ts';
export { StoreStatus, type StoreVerdict } from './store-status.ts';
