// Guessing the encoding of a data set from its first element, for bare data sets (no meta group)
// and for files whose declared transfer syntax disagrees with their bytes (PS3.5 7.1: an explicit
// VR header carries two upper-case letters where an implicit one carries length bytes).
import type { Encoding } from './dataset-reader.ts';
import { vrFromBytes } from './vr.ts';

/** Bare data sets start with a low, even group (0008 nearly always); anything else is not DICOM. */
const plausibleFirstGroup = (g: number): boolean => g >= 0x0002 && g <= 0x0028 && (g & 1) === 0;

/**
 * The encoding of the element at `pos`, or undefined if it does not look like one. `strict` is for
 * bytes that may not be DICOM at all; otherwise only the byte order and explicit/implicit are judged.
 */
export function detectEncoding(bytes: Uint8Array, pos: number, strict: boolean): Encoding | undefined {
  if (bytes.length - pos < 8) return undefined;
  const b0 = bytes[pos] as number;
  const b1 = bytes[pos + 1] as number;
  const groupLittle = b0 | (b1 << 8);
  const groupBig = (b0 << 8) | b1;
  const explicit = vrFromBytes(bytes[pos + 4] as number, bytes[pos + 5] as number) !== undefined;
  if (strict) {
    if (explicit && plausibleFirstGroup(groupLittle)) return { explicitVr: true, littleEndian: true };
    if (explicit && plausibleFirstGroup(groupBig)) return { explicitVr: true, littleEndian: false };
    if (!explicit && plausibleFirstGroup(groupLittle)) {
      const length =
        ((bytes[pos + 4] as number) |
          ((bytes[pos + 5] as number) << 8) |
          ((bytes[pos + 6] as number) << 16) |
          ((bytes[pos + 7] as number) << 24)) >>>
        0;
      if (length <= bytes.length - pos - 8) return { explicitVr: false, littleEndian: true };
    }
    return undefined;
  }
  // Groups are small numbers: the byte order that reads the smaller group is the right one.
  return { explicitVr: explicit, littleEndian: groupLittle <= groupBig };
}
