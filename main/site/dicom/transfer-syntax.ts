// Transfer syntaxes (PS3.5 Section 10 and Annex A): how a data set is encoded on disk.
import type { TransferSyntax } from './model.ts';

export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const ENCAPSULATED_UNCOMPRESSED_EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1.98';
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1.99';
export const EXPLICIT_VR_BIG_ENDIAN = '1.2.840.10008.1.2.2';
export const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
export const JPEG_EXTENDED = '1.2.840.10008.1.2.4.51';
export const JPEG_LOSSLESS = '1.2.840.10008.1.2.4.57';
export const JPEG_LOSSLESS_SV1 = '1.2.840.10008.1.2.4.70';
export const JPEG_LS_LOSSLESS = '1.2.840.10008.1.2.4.80';
export const JPEG_LS_NEAR_LOSSLESS = '1.2.840.10008.1.2.4.81';
export const JPEG_2000_LOSSLESS = '1.2.840.10008.1.2.4.90';
export const JPEG_2000 = '1.2.840.10008.1.2.4.91';
export const JPIP_REFERENCED = '1.2.840.10008.1.2.4.94';
export const JPIP_REFERENCED_DEFLATE = '1.2.840.10008.1.2.4.95';
export const HTJ2K_LOSSLESS = '1.2.840.10008.1.2.4.201';
export const HTJ2K_LOSSLESS_RPCL = '1.2.840.10008.1.2.4.202';
export const HTJ2K = '1.2.840.10008.1.2.4.203';
export const JPIP_HTJ2K_REFERENCED = '1.2.840.10008.1.2.4.204';
export const JPIP_HTJ2K_REFERENCED_DEFLATE = '1.2.840.10008.1.2.4.205';
export const RLE_LOSSLESS = '1.2.840.10008.1.2.5';

/**
 * Private syntaxes that are not Explicit VR Little Endian underneath, so they cannot be parsed
 * as the standard says to treat unknown syntaxes (GE's Implicit VR Big Endian, for one).
 */
const UNPARSEABLE = new Set(['1.2.840.113619.5.2']);

const syntax = (
  uid: string,
  explicitVr: boolean,
  littleEndian: boolean,
  deflated: boolean,
  encapsulated: boolean,
): TransferSyntax => Object.freeze({ uid, explicitVr, littleEndian, deflated, encapsulated });

/** The syntaxes whose pixel data is native (not encapsulated); every other one in use is compressed. */
const NATIVE = new Map<string, TransferSyntax>([
  [IMPLICIT_VR_LITTLE_ENDIAN, syntax(IMPLICIT_VR_LITTLE_ENDIAN, false, true, false, false)],
  [EXPLICIT_VR_LITTLE_ENDIAN, syntax(EXPLICIT_VR_LITTLE_ENDIAN, true, true, false, false)],
  [EXPLICIT_VR_BIG_ENDIAN, syntax(EXPLICIT_VR_BIG_ENDIAN, true, false, false, false)],
  [DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, syntax(DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, true, true, true, false)],
  [JPIP_REFERENCED, syntax(JPIP_REFERENCED, true, true, false, false)],
  [JPIP_REFERENCED_DEFLATE, syntax(JPIP_REFERENCED_DEFLATE, true, true, true, false)],
  [JPIP_HTJ2K_REFERENCED, syntax(JPIP_HTJ2K_REFERENCED, true, true, false, false)],
  [JPIP_HTJ2K_REFERENCED_DEFLATE, syntax(JPIP_HTJ2K_REFERENCED_DEFLATE, true, true, true, false)],
]);

/**
 * The encoding a transfer syntax UID stands for. Unknown UIDs are taken as Explicit VR Little Endian
 * with encapsulated pixel data (PS3.5 A.4: every compressed syntax is encoded that way).
 */
export function transferSyntaxOf(uid: string): TransferSyntax {
  return NATIVE.get(uid) ?? syntax(uid, true, true, false, true);
}

/** Whether the codec can parse data sets in this syntax at all. */
export function isParseableTransferSyntax(uid: string): boolean {
  return !UNPARSEABLE.has(uid);
}
