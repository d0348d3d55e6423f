// The leak test: synthetic studies carry unique fake PHI in every place real PHI hides (names, IDs and
// their sequences, addresses, phones, staff, institution, free text, private blocks, overlays). After
// de-identification, no planted value may be found anywhere in a released file.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { deidentifyInstance, type DeidOption } from '../deid/index.ts';
import { synthesizeStudies, type SynthResult } from '../synth/index.ts';

const secret = new Uint8Array(32).fill(11);

/** Kinds a given option set keeps on purpose; every other planted kind must be gone. */
function kindsThatMayRemain(options: readonly DeidOption[]): Set<string> {
  const kept = new Set(['category']); // military rank, ethnic group: shared by many, not identifying alone
  if (options.includes('retain-institution-identity')) kept.add('institution');
  if (options.includes('retain-device-identity')) kept.add('device');
  if (options.includes('retain-long-full-dates')) kept.add('date');
  if (options.includes('retain-uids')) kept.add('uid');
  return kept;
}

/** The texts to look for: a name by each component of three letters or more, other values whole. */
function needlesOf(value: string, kind: string): string[] {
  if (kind === 'name') return value.split(/[\^\s,.]+/).filter((part) => part.length >= 3);
  return [value];
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function leaksIn(output: string, value: string, kind: string): string[] {
  return needlesOf(value, kind).filter((needle) =>
    new RegExp(`(^|[^A-Za-z0-9])${escape(needle)}($|[^A-Za-z0-9])`, 'i').test(output),
  );
}

const CONFIGURATIONS: Array<{ title: string; options: DeidOption[] }> = [
  { title: 'Basic Profile', options: [] },
  {
    title:
      'Basic Profile + clean descriptors, structured content, graphics, modified dates, characteristics, safe private',
    options: [
      'clean-descriptors',
      'clean-structured-content',
      'clean-graphics',
      'retain-long-modified-dates',
      'retain-patient-characteristics',
      'retain-safe-private',
    ],
  },
  {
    title: 'Basic Profile + institution and device identity kept',
    options: ['retain-institution-identity', 'retain-device-identity'],
  },
];

describe('no planted PHI survives de-identification of synthetic studies', () => {
  let synth: SynthResult;

  beforeAll(async () => {
    const outDir = join(mkdtempSync(join(tmpdir(), 'radfed-leak-')), 'studies');
    synth = await synthesizeStudies({
      outDir,
      sites: 4,
      patients: 4,
      seed: 99,
      ctSlices: 2,
      ctMatrix: 64,
      radiographSize: 64,
    });
  });

  for (const { title, options } of CONFIGURATIONS) {
    it(title, () => {
      const mayRemain = kindsThatMayRemain(options);
      let released = 0;
      let checkedValues = 0;
      for (const file of synth.files) {
        const outcome = deidentifyInstance(readFileSync(file.path), { secret, options });
        expect(outcome.status, `${file.site} patient ${file.patientIndex}: ${outcome.reason}`).not.toBe(
          'rejected',
        );
        if (!outcome.output) continue;
        released++;
        const output = Buffer.concat(outcome.output).toString('latin1');
        for (const { attribute, value, kind } of file.plantedFields) {
          if (mayRemain.has(kind)) continue;
          checkedValues++;
          const leaks = leaksIn(output, value, kind);
          expect(
            leaks,
            `${kind} planted in ${attribute} survived in ${file.site} patient ${file.patientIndex}`,
          ).toEqual([]);
        }
      }
      // Most files are released (held ones are the images at risk of burned-in text), and the check had work to do.
      expect(released).toBeGreaterThan(synth.files.length * 0.8);
      expect(checkedValues).toBeGreaterThan(released * 20);
    });
  }
});
