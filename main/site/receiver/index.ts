// The DICOM receiver: a C-STORE SCP that feeds the site's ingest (see dicom-receiver.ts).
export {
  DEFAULT_LIMITS,
  DicomReceiver,
  ReceiverError,
  type DicomReceiverOptions,
  type ReceiverEvent,
} from './dicom-receiver.ts';
export type { ReceiverLimits } from './instance-receiver.ts';
export type { AssociationRefusal } from './store-scp.ts';
export { StoreStatus, type StoreVerdict } from './store-status.ts';
