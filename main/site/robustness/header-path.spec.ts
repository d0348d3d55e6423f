// `radfed deid` de-identifies a big file from its first bytes when its pixel data is its last element
// (deidentifyHeader), and reads it whole otherwise. On every file of Debian's pydicom test set, cut at
// several lengths (few of them are bigger than the 32 KiB read first, so smaller first parts stand in,
// down to cuts inside the meta group), on 600 mutations of them, and on cut and lengthened copies of
// the big ones, the
// first-bytes path must give exactly the whole file's outcome: the same status and reason, and,
// padding aside, the same output bytes.
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HEAD_BYTES } from '../batch/index.ts';
import { deidentifyHeader, deidentifyInstance } from '../deid/index.ts';
import {
  buildFileMeta,
  encodeText,
  EXPLICIT_VR_LITTLE_ENDIAN as EXPLICIT_LE,
  Tags,
  transferSyntaxOf,
  writeDicom,
} from '../dicom/index.ts';
import { mutateCorpus } from './mutate.ts';
import { pydicomTestFiles } from './pydicom-files.ts';
import { withoutPadding } from '../dicom/test-support.ts';

const files = pydicomTestFiles();
const big = files.filter((file) => statSync(file).size > HEAD_BYTES);
const HEAD_SIZES = [200, 1_024, 4_096, HEAD_BYTES];
const settings = { secret: new Uint8Array(32).fill(7), options: [] };
const CT = '1.2.840.10008.5.1.4.1.1.2';

/** Compares the two paths on one input; says whether the first-bytes path took it. */
function samePathOutcome(name: string, bytes: Buffer, headSize = HEAD_BYTES): boolean {
  const head = deidentifyHeader(bytes.subarray(0, headSize), bytes.length, settings);
  if (head === null) return false;
  const whole = deidentifyInstance(bytes, settings);
  expect([head.status, head.reason], name).toEqual([whole.status, whole.reason]);
  expect(head.instance, name).toEqual(whole.instance);
  if (head.output && whole.output) {
    const from = head.sourceTailFrom as number;
    const written = Buffer.concat([...head.output, bytes.subarray(from)]);
    expect(withoutPadding(written).equals(Buffer.concat(whole.output)), name).toBe(true);
  }
  return true;
}

describe('the first-bytes path on an element placed out of order before the pixel data', () => {
  it('reads the file whole, as the element is written after the pixel data', () => {
    const whole = Buffer.concat(
      writeDicom({
        meta: buildFileMeta({ sopClassUid: CT, sopInstanceUid: '2.25.5', transferSyntaxUid: EXPLICIT_LE }),
        dataset: new Map([
          [Tags.SOPClassUID, { tag: Tags.SOPClassUID, vr: 'UI', value: encodeText(CT, 'UI') }],
          [Tags.SOPInstanceUID, { tag: Tags.SOPInstanceUID, vr: 'UI', value: encodeText('2.25.5', 'UI') }],
          [Tags.PixelData, { tag: Tags.PixelData, vr: 'OW', value: new Uint8Array(40_000) }],
        ]),
        transferSyntax: transferSyntaxOf(EXPLICIT_LE),
        hadPreamble: true,
      }),
    );
    const pixelHeader = whole.length - 40_000 - 12;
    // (8000,0010) LO "XX", in the bytes before Pixel Data though its tag is higher.
    const stray = Buffer.from([0x00, 0x80, 0x10, 0x00, 0x4c, 0x4f, 0x02, 0x00, 0x58, 0x58]);
    const bytes = Buffer.concat([whole.subarray(0, pixelHeader), stray, whole.subarray(pixelHeader)]);
    expect(deidentifyHeader(bytes.subarray(0, 1_000), bytes.length, settings)).toBeNull();
    expect(deidentifyInstance(bytes, settings).status).toBe('deidentified');
  });
});

describe.skipIf(files.length === 0)(
  'the first-bytes path on the pydicom test set (needs python3-pydicom)',
  () => {
    it('gives each file, from first parts of several lengths, exactly the outcome of the whole file', () => {
      let taken = 0;
      for (const file of files) {
        const bytes = readFileSync(file);
        for (const size of HEAD_SIZES) {
          if (size < bytes.length && samePathOutcome(`${basename(file)} from ${size}`, bytes, size)) taken++;
        }
      }
      // Most are read whole: compressed or deflated, smaller than the cut, or with an element after the
      // pixel data (CT_small.dcm's Data Set Trailing Padding). 14 (file, cut) pairs take the path.
      expect(taken).toBeGreaterThanOrEqual(10);
    });

    it("gives each of 600 mutated files, from first parts of several lengths, the whole file's outcome", () => {
      const plain = files.filter((f) => /(MR_small|ExplVR_BigEnd|rtdose|liver_1frame)/.test(basename(f)));
      const bases = plain.map((f) => new Uint8Array(readFileSync(f)));
      let taken = 0;
      for (const mutation of mutateCorpus(bases, 600, 20261128)) {
        const bytes = Buffer.from(mutation.bytes);
        for (const size of HEAD_SIZES) {
          const name = `mutation ${mutation.index} (${mutation.kind}) from ${size}`;
          if (size < bytes.length && samePathOutcome(name, bytes, size)) taken++;
        }
      }
      expect(taken).toBeGreaterThanOrEqual(50); // 93 with this seed
    });

    it('reads whole, and so rejects as before, files cut inside their pixel data or with bytes after it', () => {
      for (const file of big) {
        const bytes = readFileSync(file);
        for (const changed of [
          bytes.subarray(0, bytes.length - 3),
          bytes.subarray(0, HEAD_BYTES + 10),
          Buffer.concat([bytes, Buffer.alloc(16, 0x41)]),
        ]) {
          expect(samePathOutcome(`${basename(file)} changed`, changed), basename(file)).toBe(false);
        }
      }
    });
  },
);
