// File meta information (PS3.10 7.1): group 0002, always Explicit VR Little Endian on disk.
import type { DicomDataset, DicomElement } from './model.ts';
import { Tags } from './tags.ts';
import { encodeText } from './values.ts';

/** RadFed's implementation class UID: 2.25 + a 128-bit random number drawn once (PS3.5 B.2). */
export const IMPLEMENTATION_CLASS_UID = '2.25.331542390433095863209035118379564219377';
export const IMPLEMENTATION_VERSION_NAME = 'RADFED_0_1';

const uiElement = (tag: number, uid: string): DicomElement => ({
  tag,
  vr: 'UI',
  value: encodeText(uid, 'UI'),
});

// The same in every file: encoded once (values are never written to).
const VERSION = Uint8Array.of(0x00, 0x01);
const IMPLEMENTATION_CLASS = encodeText(IMPLEMENTATION_CLASS_UID, 'UI');
const IMPLEMENTATION_VERSION = encodeText(IMPLEMENTATION_VERSION_NAME, 'SH');

/** A new meta group for an object; the writer adds the group length. */
export function buildFileMeta(params: {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
}): DicomDataset {
  const meta: DicomDataset = new Map();
  meta.set(Tags.FileMetaInformationVersion, {
    tag: Tags.FileMetaInformationVersion,
    vr: 'OB',
    value: VERSION,
  });
  meta.set(Tags.MediaStorageSOPClassUID, uiElement(Tags.MediaStorageSOPClassUID, params.sopClassUid));
  meta.set(
    Tags.MediaStorageSOPInstanceUID,
    uiElement(Tags.MediaStorageSOPInstanceUID, params.sopInstanceUid),
  );
  meta.set(Tags.TransferSyntaxUID, uiElement(Tags.TransferSyntaxUID, params.transferSyntaxUid));
  meta.set(Tags.ImplementationClassUID, {
    tag: Tags.ImplementationClassUID,
    vr: 'UI',
    value: IMPLEMENTATION_CLASS,
  });
  meta.set(Tags.ImplementationVersionName, {
    tag: Tags.ImplementationVersionName,
    vr: 'SH',
    value: IMPLEMENTATION_VERSION,
  });
  return meta;
}
