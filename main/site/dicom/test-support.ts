// Test support for the codec's specs (not part of the door): the pydicom test corpus, a batched
// pydicom check of written files, and builders for hand-made byte streams.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PYDICOM_TEST_FILES } from '../robustness/pydicom-files.ts';
import { buildFileMeta } from './file-meta.ts';
import type { DicomDataset, DicomElement, Tag, TransferSyntax } from './model.ts';
import { transferSyntaxOf } from './transfer-syntax.ts';
import { parseDicom } from './parse-dicom.ts';
import { writeDicom } from './write-dicom.ts';

export { PYDICOM_TEST_FILES };
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** Every file under the pydicom test directory, as paths relative to it, sorted. */
export function listCorpus(): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path, join(rel, name));
      else out.push(join(rel, name));
    }
  };
  walk(PYDICOM_TEST_FILES, '');
  return out.sort();
}

export interface PydicomVerdict {
  written: string;
  /** The transfer syntax pydicom found in the written file's meta group. */
  ts?: string;
  /** Whether PixelData bytes are equal (null when neither file has pixel data). */
  pixel?: boolean | null;
  /** Elements whose value differs between the original and the written file (first few). */
  diffs?: string[];
  error?: string;
}

// Reads each original with force=True (some have no meta group) and each written file with
// force=False (it must be a proper Part 10 file), drops group lengths (the writer drops them too),
// and compares every element at every depth. Odd-length values gain one pad byte when written, so
// trailing NUL/space is ignored. DICOMDIR record offsets are byte positions that change with any
// re-encoding, so pydicom's record-tree parsing is switched off; the data set is still read whole.
const CHECK_SCRIPT = String.raw`
import json, sys, warnings
warnings.simplefilter('ignore')
import pydicom
import pydicom.dicomdir
pydicom.dicomdir.DicomDir.parse_records = lambda self: None

def strip(ds):
    for el in list(ds):
        if el.tag.element == 0:
            del ds[el.tag]
        elif el.VR == 'SQ':
            for item in el.value:
                strip(item)
    return ds

def norm(v):
    if isinstance(v, bytes):
        return v.rstrip(b'\x00 ')
    if isinstance(v, str):
        return v.rstrip('\x00 ')
    return v

def diff(a, b, path=''):
    out = []
    for el in a:
        if el.tag not in b:
            out.append(f'{path}{el.tag} missing'); continue
        e2 = b[el.tag]
        if el.VR == 'SQ' or e2.VR == 'SQ':
            if el.VR != e2.VR or len(el.value) != len(e2.value):
                out.append(f'{path}{el.tag} sequence differs'); continue
            for i, (x, y) in enumerate(zip(el.value, e2.value)):
                out += diff(x, y, f'{path}{el.tag}[{i}].')
        elif el.value != e2.value and norm(el.value) != norm(e2.value):
            out.append(f'{path}{el.tag} value differs')
    for el in b:
        if el.tag not in a:
            out.append(f'{path}{el.tag} extra')
    return out

res = []
for orig, written in json.load(sys.stdin):
    r = {'written': written}
    try:
        o = strip(pydicom.dcmread(orig, force=True))
        w = pydicom.dcmread(written, force=False)
        r['ts'] = str(w.file_meta.TransferSyntaxUID)
        has = 'PixelData' in o or 'PixelData' in w
        r['pixel'] = (o.get('PixelData') == w.get('PixelData')) if has else None
        r['diffs'] = diff(o, strip(w))[:5]
    except Exception as e:
        r['error'] = type(e).__name__ + ': ' + str(e)[:200]
    res.append(r)
json.dump(res, sys.stdout)
`;

/** One pydicom run over many (original, written) pairs. */
export function pydicomCheck(pairs: [original: string, written: string][]): PydicomVerdict[] {
  const out = execFileSync(SYSTEM_PYTHON, ['-c', CHECK_SCRIPT], {
    input: JSON.stringify(pairs),
    maxBuffer: 64 * 1024 * 1024,
    encoding: 'utf8',
  });
  return JSON.parse(out) as PydicomVerdict[];
}

/** Little-endian byte builder for hand-made data sets. */
export class Bytes {
  private readonly parts: number[] = [];
  u16(v: number): this {
    this.parts.push(v & 0xff, (v >>> 8) & 0xff);
    return this;
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }
  tag(t: Tag): this {
    return this.u16(t >>> 16).u16(t & 0xffff);
  }
  ascii(s: string): this {
    for (const c of s) this.parts.push(c.charCodeAt(0) & 0xff);
    return this;
  }
  raw(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.parts.push(b[i] as number);
    return this;
  }
  /** Explicit VR LE element, short or long header form by VR. */
  explicit(t: Tag, vr: string, value: string | Uint8Array, declaredLength?: number): this {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
    const length = declaredLength ?? bytes.length;
    this.tag(t).ascii(vr);
    if (['OB', 'OW', 'SQ', 'UN', 'UT', 'OF', 'UC', 'UR'].includes(vr)) this.u16(0).u32(length);
    else this.u16(length);
    return this.raw(bytes);
  }
  implicit(t: Tag, value: string | Uint8Array, declaredLength?: number): this {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
    return this.tag(t)
      .u32(declaredLength ?? bytes.length)
      .raw(bytes);
  }
  build(): Buffer {
    return Buffer.from(this.parts);
  }
}

/** Preamble + "DICM" + a meta group declaring `tsUid`, followed by `body` as given. */
export function part10(tsUid: string, body: Uint8Array): Buffer {
  const ts: TransferSyntax = transferSyntaxOf(tsUid);
  const meta = buildFileMeta({
    sopClassUid: '1.2.840.10008.5.1.4.1.1.7',
    sopInstanceUid: '2.25.1',
    transferSyntaxUid: tsUid,
  });
  const head = writeDicom({
    meta,
    dataset: new Map(),
    transferSyntax: { ...ts, deflated: false },
    hadPreamble: true,
  });
  return Buffer.concat([...head, body]);
}

/** Depth of the deepest sequence nesting in a data set (iterative). */
export function nestingDepth(ds: DicomDataset): number {
  let max = 0;
  const stack: [DicomDataset, number][] = [[ds, 0]];
  while (stack.length > 0) {
    const [d, depth] = stack.pop() as [DicomDataset, number];
    max = Math.max(max, depth);
    for (const el of d.values() as IterableIterator<DicomElement>) {
      for (const item of el.items ?? []) stack.push([item, depth + 1]);
    }
  }
  return max;
}

/**
 * Differences between two data sets' models, at every depth: a missing or extra element, a different
 * item count, or different value bytes (one pad byte on an odd-length value and group lengths aside).
 */
export function datasetDiffs(a: DicomDataset, b: DicomDataset): string[] {
  const diffs: string[] = [];
  const stack: [DicomDataset, DicomDataset, string][] = [[a, b, '']];
  const skip = (t: number): boolean => (t & 0xffff) === 0;
  while (stack.length > 0) {
    const [x, y, path] = stack.pop() as [DicomDataset, DicomDataset, string];
    for (const [t, el] of x) {
      if (skip(t)) continue;
      const other = y.get(t);
      const where = `${path}${t.toString(16)}`;
      if (!other) diffs.push(`${where} missing`);
      else if (el.items) {
        if (other.items?.length !== el.items.length) diffs.push(`${where} items`);
        else
          el.items.forEach((item, i) =>
            stack.push([item, other.items?.[i] as DicomDataset, `${where}[${i}].`]),
          );
      } else {
        const u = el.encapsulated ?? el.value ?? new Uint8Array(0);
        const v = other.encapsulated ?? other.value ?? new Uint8Array(0);
        const padded = v.length === u.length + 1 && (u.length & 1) === 1;
        if (
          !(v.length === u.length || padded) ||
          !Buffer.from(u).equals(Buffer.from(v.subarray(0, u.length)))
        ) {
          diffs.push(`${where} value`);
        }
      }
    }
    for (const t of y.keys()) if (!skip(t) && !x.has(t)) diffs.push(`${path}${t.toString(16)} extra`);
  }
  return diffs;
}

/**
 * A file's bytes without the padding a header written over a copy of its source carries (Private
 * Information Creator UID and Private Information, PS3.10), to compare with a file written whole.
 */
export function withoutPadding(bytes: Uint8Array): Buffer {
  const file = parseDicom(bytes);
  file.meta.delete(0x00020100);
  file.meta.delete(0x00020102);
  return Buffer.concat(writeDicom(file));
}
