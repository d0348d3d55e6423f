// Hostile and broken input: every failure is a DicomParseError with the right code, found by an
// explicit check (no safety-net cause), quickly, without huge allocations and without leaking values.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { walkDataset } from './walk.ts';
import { DicomParseError } from './errors.ts';
import type { DicomParseErrorCode } from './errors.ts';
import type { DicomFile } from './model.ts';
import { parseDicom } from './parse-dicom.ts';
import type { ParseOptions } from './parse-dicom.ts';
import { Tags } from './tags.ts';
import { Bytes, datasetDiffs, nestingDepth, part10, PYDICOM_TEST_FILES } from './test-support.ts';
import * as TS from './transfer-syntax.ts';
import { getString } from './values.ts';
import { writeDicom } from './write-dicom.ts';

function failure(bytes: Uint8Array, options?: ParseOptions): DicomParseError {
  try {
    parseDicom(bytes, options);
  } catch (e) {
    expect(e).toBeInstanceOf(DicomParseError);
    expect((e as DicomParseError).cause).toBeUndefined();
    return e as DicomParseError;
  }
  throw new Error('expected a DicomParseError');
}

const codeOf = (bytes: Uint8Array, options?: ParseOptions): DicomParseErrorCode =>
  failure(bytes, options).code;

const SQ = 0x00081115; // Referenced Series Sequence
const explicitLe = (b: Bytes): Buffer => part10(TS.EXPLICIT_VR_LITTLE_ENDIAN, b.build());

describe('truncation at every 97th byte', () => {
  const files = [
    'CT_small.dcm', // explicit LE, 16-bit pixels
    'MR_small_bigendian.dcm',
    'rtplan.dcm', // implicit, nested sequences
    'image_dfl.dcm', // deflated
    'JPEG2000.dcm', // encapsulated
    'UN_sequence.dcm',
    'reportsi.dcm', // SR, deep content tree
  ];
  for (const name of files) {
    it(`${name}: each prefix parses or fails with a typed error that names no patient value`, () => {
      const whole = readFileSync(join(PYDICOM_TEST_FILES, name));
      const full = parseDicom(whole);
      const secrets = [Tags.PatientName, Tags.PatientID, Tags.StudyInstanceUID, Tags.SOPInstanceUID]
        .map((t) => getString(full.dataset, t))
        .filter((s): s is string => !!s && s.length > 3);
      if (name !== 'UN_sequence.dcm') expect(secrets.length).toBeGreaterThan(0); // that one holds none
      let failures = 0;
      for (let cut = 97; cut < whole.length; cut += 97) {
        const prefix = whole.subarray(0, cut);
        let result: DicomFile | undefined;
        try {
          result = parseDicom(prefix);
        } catch (e) {
          failures++;
          expect(e, `cut at ${cut}`).toBeInstanceOf(DicomParseError);
          const err = e as DicomParseError;
          expect(err.cause, `cut at ${cut}`).toBeUndefined();
          expect(err.message).not.toMatch(/\n/);
          for (const s of secrets) expect(err.message).not.toContain(s);
        }
        // A cut that falls between two top-level elements leaves a shorter valid data set: exactly
        // the original's first elements, none of them cut short.
        if (result) {
          const head = new Map([...full.dataset].filter(([t]) => result.dataset.has(t)));
          expect(datasetDiffs(head, result.dataset), `cut at ${cut}`).toEqual([]);
          expect(result.dataset.size, `cut at ${cut}`).toBeLessThan(full.dataset.size);
          expect(() => writeDicom(result)).not.toThrow();
        }
      }
      expect(failures).toBeGreaterThan(0);
    });
  }

  it('a cut inside native pixel data is reported as truncated', () => {
    const whole = readFileSync(join(PYDICOM_TEST_FILES, 'CT_small.dcm'));
    expect(codeOf(whole.subarray(0, whole.length - 1000))).toBe('truncated');
  });
});

describe('huge declared lengths', () => {
  it('an OB value declaring ~4 GiB', () => {
    const b = new Bytes()
      .explicit(Tags.PatientName, 'PN', 'A^B ')
      .explicit(0x00091010, 'OB', 'xx', 0xfffffff0);
    expect(codeOf(explicitLe(b))).toBe('invalid-length');
  });

  it('a short-form value longer than the file', () => {
    expect(codeOf(explicitLe(new Bytes().explicit(Tags.PatientID, 'LO', 'ID', 0xffff)))).toBe(
      'invalid-length',
    );
  });

  it('an implicit VR value declaring 2 GiB', () => {
    const b = new Bytes().implicit(Tags.PatientID, 'ID', 0x7fffffff);
    expect(codeOf(part10(TS.IMPLICIT_VR_LITTLE_ENDIAN, b.build()))).toBe('invalid-length');
  });

  it('an item longer than its sequence', () => {
    const item = new Bytes().explicit(Tags.PatientID, 'LO', 'ID').build();
    const b = new Bytes()
      .tag(SQ)
      .ascii('SQ')
      .u16(0)
      .u32(8 + item.length)
      .tag(Tags.ItemTag)
      .u32(item.length + 100)
      .raw(item)
      .explicit(0x00100040, 'CS', 'O ');
    expect(codeOf(explicitLe(b))).toBe('invalid-length');
  });

  it('an element running past the end of its item', () => {
    const b = new Bytes()
      .tag(SQ)
      .ascii('SQ')
      .u16(0)
      .u32(0xffffffff)
      .tag(Tags.ItemTag)
      .u32(10)
      .explicit(Tags.PatientID, 'LO', 'ID', 40)
      .raw(new Uint8Array(60));
    expect(codeOf(explicitLe(b))).toBe('invalid-length');
  });

  it('an encapsulated fragment declaring ~4 GiB', () => {
    const b = new Bytes()
      .tag(Tags.PixelData)
      .ascii('OB')
      .u16(0)
      .u32(0xffffffff)
      .tag(Tags.ItemTag)
      .u32(0)
      .tag(Tags.ItemTag)
      .u32(0xfffffff0)
      .raw([1, 2, 3, 4]);
    expect(codeOf(part10(TS.JPEG_BASELINE, b.build()))).toBe('invalid-length');
  });

  it('a deflate bomb stops at the inflation cap', () => {
    const bomb = deflateRawSync(Buffer.alloc(64 * 1024 * 1024));
    const bytes = part10(TS.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, bomb);
    expect(codeOf(bytes, { maxInflatedBytes: 8 * 1024 * 1024 })).toBe('invalid-length');
  });

  it('a corrupt or cut deflate stream', () => {
    const good = deflateRawSync(new Bytes().explicit(Tags.PatientID, 'LO', 'ID').build());
    expect(codeOf(part10(TS.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, Buffer.from([0x07, 0, 0, 0])))).toBe(
      'malformed',
    );
    expect(codeOf(part10(TS.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, good.subarray(0, 3)))).toBe('truncated');
  });
});

describe('nesting 10,000 deep', () => {
  const DEPTH = 10_000;

  /** Sequence in item in sequence..., each with undefined length and delimiters. */
  function undefinedLengthNest(depth: number): Buffer {
    const b = new Bytes();
    for (let i = 0; i < depth; i++)
      b.tag(SQ).ascii('SQ').u16(0).u32(0xffffffff).tag(Tags.ItemTag).u32(0xffffffff);
    b.explicit(Tags.PatientID, 'LO', 'ID');
    for (let i = 0; i < depth; i++) b.tag(Tags.ItemDelimitation).u32(0).tag(Tags.SequenceDelimitation).u32(0);
    return explicitLe(b);
  }

  /** The same with defined lengths, computed from the inside out. */
  function definedLengthNest(depth: number): Buffer {
    const inner = new Bytes().explicit(Tags.PatientID, 'LO', 'ID').build();
    const b = new Bytes();
    for (let i = 0; i < depth; i++) {
      const below = depth - i - 1; // levels inside this one
      const itemLength = inner.length + below * 20;
      b.tag(SQ)
        .ascii('SQ')
        .u16(0)
        .u32(itemLength + 8)
        .tag(Tags.ItemTag)
        .u32(itemLength);
    }
    return explicitLe(b.raw(inner));
  }

  it('fails fast with too-deep, in both encodings', () => {
    expect(codeOf(undefinedLengthNest(DEPTH))).toBe('too-deep');
    expect(codeOf(definedLengthNest(DEPTH))).toBe('too-deep');
    expect(codeOf(undefinedLengthNest(65))).toBe('too-deep');
    expect(nestingDepth(parseDicom(undefinedLengthNest(64)).dataset)).toBe(64);
  });

  it('parses, walks and writes it when allowed, without recursion', () => {
    const file = parseDicom(definedLengthNest(DEPTH), { maxDepth: DEPTH });
    expect(nestingDepth(file.dataset)).toBe(DEPTH);
    // The walk hands each level its own path array (O(depth) each), so it is checked 2,000 deep.
    let deepest = 0;
    walkDataset(parseDicom(undefinedLengthNest(2000), { maxDepth: 2000 }).dataset, (el, path) => {
      if (el.tag === Tags.PatientID) deepest = path.length;
    });
    expect(deepest).toBe(2000);
    const again = parseDicom(Buffer.concat(writeDicom(file)), { maxDepth: DEPTH });
    expect(nestingDepth(again.dataset)).toBe(DEPTH);
  });
});

describe('not DICOM, or not readable', () => {
  it('rejects empty, random, zero-filled and text input as not-dicom', () => {
    expect(codeOf(new Uint8Array(0))).toBe('not-dicom');
    expect(codeOf(Buffer.alloc(4096))).toBe('not-dicom');
    expect(codeOf(Buffer.from('Hello, this is plainly a text file and not an image.\n'))).toBe('not-dicom');
    let seed = 12345;
    const random = Buffer.alloc(2048, 0).map(
      () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) & 0xff,
    );
    random[0] = 0xff; // not a plausible first group
    expect(codeOf(random)).toBe('not-dicom');
  });

  it('rejects a private syntax that is not Explicit VR Little Endian underneath', () => {
    const b = new Bytes().implicit(Tags.PatientID, 'ID');
    expect(codeOf(part10('1.2.840.113619.5.2', b.build()))).toBe('unsupported-transfer-syntax');
  });

  it('reads an unknown syntax as explicit VR LE encapsulated when its bytes agree', () => {
    const file = parseDicom(part10('1.2.3.4.5', new Bytes().explicit(Tags.PatientID, 'LO', 'ID').build()));
    expect(file.transferSyntax.encapsulated).toBe(true);
    expect(getString(file.dataset, Tags.PatientID)).toBe('ID');
  });

  it('rejects an item tag outside a sequence and a sequence holding a non-item', () => {
    expect(codeOf(explicitLe(new Bytes().tag(Tags.ItemTag).u32(0)))).toBe('malformed');
    const b = new Bytes().tag(SQ).ascii('SQ').u16(0).u32(0xffffffff).explicit(Tags.PatientID, 'LO', 'ID');
    expect(codeOf(explicitLe(b))).toBe('malformed');
  });
});
