// The DICOM receiver: a C-STORE SCP that feeds the site's ingest (see dicom-receiver.ts).
export {
  DicomReceiver,
  ReceiverError,
  type DicomReceiverOptions,
  type ReceiverEvent,
} from './dicom-receiver.ts';
export { DEFAULT_LIMITS, type ReceiverLimits } from './receiver-limits.ts';
export type { AssociationRefusal, ClosedHow, CutCode } from './store-scp.ts';
export { StoreStatus, type StoreVerdict } from './store-status.ts';
