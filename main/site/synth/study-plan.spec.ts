import { describe, expect, it } from 'vitest';
import { Prng } from './prng.ts';
import {
  SITE_TRANSFER_SYNTAXES,
  TS_EXPLICIT_BE,
  TS_EXPLICIT_LE,
  TS_IMPLICIT_LE,
  TS_RLE,
} from './site-traits.ts';
import { planRun, SYNTH_UID_ROOT, type PlanOptions } from './study-plan.ts';

const OPTIONS: PlanOptions = {
  sites: 5,
  patients: 200,
  seed: 3,
  ctSlices: 3,
  modalities: ['CT', 'RADIOGRAPH'],
};
const plan = planRun(OPTIONS);
const patients = plan.flatMap((s) => s.patients);
const studies = patients.flatMap((p) => p.studies);

describe('the synthetic run plan', () => {
  it('is the same for the same seed and different for another', () => {
    expect(JSON.stringify(planRun(OPTIONS))).toBe(JSON.stringify(plan));
    const other = planRun({ ...OPTIONS, seed: 4 });
    expect(other[0]!.patients[0]!.patientId).not.toBe(plan[0]!.patients[0]!.patientId);
  });

  it('gives each patient one or two studies, about half of them with the finding', () => {
    for (const p of patients) expect([1, 2]).toContain(p.studies.length);
    const positives = studies.filter((s) => s.label === 1).length / studies.length;
    expect(positives).toBeGreaterThan(0.4);
    expect(positives).toBeLessThan(0.6);
  });

  it('flags about 5% of radiographs as burned in, and adds secondary captures to a few studies', () => {
    const radiographs = studies.filter((s) => s.kind === 'RADIOGRAPH');
    const burned = radiographs.filter((s) => s.burnedIn).length / radiographs.length;
    expect(burned).toBeGreaterThan(0.02);
    expect(burned).toBeLessThan(0.1);
    expect(studies.filter((s) => s.kind === 'CT' && s.burnedIn)).toEqual([]);
    const withCapture = studies.filter((s) => s.series.some((se) => se.kind === 'SECONDARY_CAPTURE')).length;
    expect(withCapture / studies.length).toBeGreaterThan(0.03);
    expect(withCapture / studies.length).toBeLessThan(0.15);
  });

  it('mostly grants consent, with a few refusals', () => {
    const refused = patients.filter((p) => p.consent.status === 'refused').length / patients.length;
    expect(refused).toBeGreaterThan(0.03);
    expect(refused).toBeLessThan(0.2);
    for (const p of patients) expect(p.consent.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('never gives two patients the same name, ID, birth date, address, phone or accession number', () => {
    const distinct = (values: string[]): void => expect(new Set(values).size).toBe(values.length);
    distinct(patients.map((p) => p.name.natural));
    distinct(patients.map((p) => p.patientId));
    distinct(patients.map((p) => p.otherPatientId));
    distinct(patients.map((p) => p.birthDate));
    distinct(patients.map((p) => p.address));
    distinct(patients.map((p) => p.phone));
    distinct(studies.map((s) => s.accessionNumber));
    distinct(studies.map((s) => s.studyDate));
    distinct([...patients.map((p) => p.referringPhysician), ...studies.map((s) => s.performingPhysician)]);
  });

  it('makes valid, distinct UIDs under the fake root (PS3.5 9.1: <= 64 chars, no leading zeros)', () => {
    const uids = studies.flatMap((s) => [s.uid, ...s.series.flatMap((se) => [se.uid, ...se.instanceUids])]);
    expect(new Set(uids).size).toBe(uids.length);
    for (const uid of uids) {
      expect(uid.startsWith(SYNTH_UID_ROOT)).toBe(true);
      expect(uid.length).toBeLessThanOrEqual(64);
      expect(uid).toMatch(/^(0|[1-9]\d*)(\.(0|[1-9]\d*))*$/);
    }
  });

  it('dates studies after the patient was born, and follow-ups after the first study', () => {
    for (const p of patients) {
      const dates = p.studies.map((s) => s.studyDate);
      for (const d of dates) expect(d > p.birthDate).toBe(true);
      expect([...dates].sort()).toEqual(dates);
    }
  });

  it('fixes scanner traits per site: transfer syntaxes in the documented order, vendors differ', () => {
    expect(SITE_TRANSFER_SYNTAXES).toEqual([TS_EXPLICIT_LE, TS_IMPLICIT_LE, TS_RLE, TS_EXPLICIT_BE]);
    expect(plan.map((s) => s.traits.transferSyntaxUid)).toEqual([
      TS_EXPLICIT_LE,
      TS_IMPLICIT_LE,
      TS_RLE,
      TS_EXPLICIT_BE,
      TS_EXPLICIT_LE,
    ]);
    for (let i = 1; i < 4; i++) {
      expect(plan[i]!.traits.manufacturer).not.toBe(plan[i - 1]!.traits.manufacturer);
    }
  });

  it('draws only the requested study kinds', () => {
    const ctOnly = planRun({ ...OPTIONS, patients: 30, modalities: ['CT'] });
    expect(new Set(ctOnly.flatMap((s) => s.patients.flatMap((p) => p.studies.map((st) => st.kind))))).toEqual(
      new Set(['CT']),
    );
  });
});

describe('Prng', () => {
  it('repeats a stream for the same words and stays inside the asked range', () => {
    const a = new Prng(1, 2);
    const b = new Prng(1, 2);
    const c = new Prng(1, 3);
    const xs = Array.from({ length: 1000 }, () => a.int(3, 9));
    expect(Array.from({ length: 1000 }, () => b.int(3, 9))).toEqual(xs);
    expect(Array.from({ length: 1000 }, () => c.int(3, 9))).not.toEqual(xs);
    expect(Math.min(...xs)).toBe(3);
    expect(Math.max(...xs)).toBe(9);
  });
});
