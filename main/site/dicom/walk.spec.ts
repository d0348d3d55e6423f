import { describe, expect, it } from 'vitest';
import type { DicomDataset, Tag } from './model.ts';
import { Tags } from './tags.ts';
import { setString } from './values.ts';
import { walkDataset } from './walk.ts';

function nested(): DicomDataset {
  const inner: DicomDataset = new Map();
  setString(inner, Tags.PatientName, 'PN', 'INNER');
  const item1: DicomDataset = new Map();
  setString(item1, Tags.PatientID, 'LO', 'A');
  item1.set(Tags.OtherPatientIDsSequence, { tag: Tags.OtherPatientIDsSequence, vr: 'SQ', items: [inner] });
  const item2: DicomDataset = new Map();
  setString(item2, Tags.PatientID, 'LO', 'B');
  const root: DicomDataset = new Map();
  setString(root, Tags.PatientName, 'PN', 'TOP');
  root.set(Tags.RequestAttributesSequence, {
    tag: Tags.RequestAttributesSequence,
    vr: 'SQ',
    items: [item1, item2],
  });
  setString(root, Tags.StudyDate, 'DA', '20200101');
  return root;
}

describe('walkDataset', () => {
  it('visits every element at every depth, sequences before their items, with the enclosing path', () => {
    const seen: [Tag, readonly Tag[]][] = [];
    walkDataset(nested(), (el, path) => seen.push([el.tag, path]));
    expect(seen).toEqual([
      [Tags.PatientName, []],
      [Tags.RequestAttributesSequence, []],
      [Tags.PatientID, [Tags.RequestAttributesSequence]],
      [Tags.OtherPatientIDsSequence, [Tags.RequestAttributesSequence]],
      [Tags.PatientName, [Tags.RequestAttributesSequence, Tags.OtherPatientIDsSequence]],
      [Tags.PatientID, [Tags.RequestAttributesSequence]],
      [Tags.StudyDate, []],
    ]);
  });

  it('lets the visitor delete elements, and does not descend into a deleted sequence', () => {
    const root = nested();
    const seen: Tag[] = [];
    walkDataset(root, (el, _path, owner) => {
      seen.push(el.tag);
      if (el.tag === Tags.OtherPatientIDsSequence || el.tag === Tags.PatientName) owner.delete(el.tag);
    });
    expect(seen.filter((t) => t === Tags.PatientName)).toHaveLength(1); // the inner one was never reached
    expect(root.has(Tags.PatientName)).toBe(false);
    const item1 = root.get(Tags.RequestAttributesSequence)?.items?.[0];
    expect(item1?.has(Tags.OtherPatientIDsSequence)).toBe(false);
    expect(root.has(Tags.StudyDate)).toBe(true);
  });
});
