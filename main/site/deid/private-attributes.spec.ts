import { describe, expect, it } from 'vitest';
import type { DicomDataset } from '../dicom/index.ts';
import { deidentifyDataset, type DeidOption } from './index.ts';
import { safePrivateRow, safePrivateRowCount } from './profile-table.ts';
import { at, ctDataset, el, fileOf, nest3, NEST_PATH, SECRET, seq, text } from './test-fixtures.ts';

/**
 * Group 0019 with two SIEMENS MR HEADER blocks (0x10 and 0x42), each holding the safe B Value
 * (low byte 0x0C) and an unsafe attribute, plus a block of an unknown creator (0x43).
 */
const privateGroup = () => [
  el(0x00190010, 'LO', 'SIEMENS MR HEADER'),
  el(0x00190042, 'LO', 'SIEMENS MR HEADER'),
  el(0x00190043, 'LO', 'ACME SECRETS'),
  el(0x0019100c, 'IS', '1000'),
  el(0x00191001, 'LO', 'SMITHERSON'),
  el(0x0019420c, 'IS', '500'),
  el(0x00194201, 'LO', 'SMITHERSON'),
  el(0x0019430c, 'IS', '700'), // same low byte, but its creator is not in Table E.3.10-1
  el(0x00191100, 'LO', 'no creator for block 0x11'),
];

const run = (extra: Parameters<typeof ctDataset>[0], options: DeidOption[]): DicomDataset =>
  deidentifyDataset(fileOf(ctDataset(extra)), { secret: SECRET, options }).file.dataset;

const privateTags = (ds: DicomDataset): number[] =>
  [...ds.keys()].filter((t) => (t >>> 16) % 2 === 1).sort((a, b) => a - b);

describe('private attributes (PS3.15 E.3.10)', () => {
  it('loads all 479 rows of Table E.3.10-1 and matches on creator, group and low byte', () => {
    expect(safePrivateRowCount()).toBe(479);
    expect(safePrivateRow('SIEMENS MR HEADER', 0x0019, 0x0c)?.meaning).toBe('B Value');
    expect(safePrivateRow('SIEMENS MR HEADER', 0x0019, 0x01)).toBeUndefined();
    expect(safePrivateRow('SIEMENS MR HEADER', 0x0021, 0x0c)).toBeUndefined();
  });

  it('removes every private attribute and creator by default', () => {
    expect(privateTags(run(privateGroup(), []))).toEqual([]);
  });

  it('keeps exactly the safe ones in blocks 0x10 and 0x42 with their creators under Retain Safe Private', () => {
    const out = run(privateGroup(), ['retain-safe-private']);
    expect(privateTags(out)).toEqual([0x00190010, 0x00190042, 0x0019100c, 0x0019420c]);
    expect(text(out.get(0x0019420c))).toBe('500');
    expect(text(out.get(0x00190042))).toBe('SIEMENS MR HEADER');
  });

  it('applies the same rule inside sequences, three levels deep', () => {
    const deep = nest3(seq(0x00191002, [el(0x00100010, 'PN', 'X^Y')]));
    const item = seq(NEST_PATH[0] as number, [
      seq(NEST_PATH[1] as number, [seq(NEST_PATH[2] as number, privateGroup())]),
    ]);
    const out = run([item], ['retain-safe-private']);
    const inner = out
      .get(NEST_PATH[0] as number)
      ?.items?.[0]?.get(NEST_PATH[1] as number)
      ?.items?.[0]?.get(NEST_PATH[2] as number)?.items?.[0];
    expect(privateTags(inner ?? new Map())).toEqual([0x00190010, 0x00190042, 0x0019100c, 0x0019420c]);
    expect(at(run([deep], []), NEST_PATH, 0x00191002)).toBeUndefined();
  });
});
