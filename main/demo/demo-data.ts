// The demo's studies: synthetic chest radiographs for each simulated hospital (each with its own
// scanner: vendor, detector calibration, noise, bit depth, transfer syntax, and its console's image
// processing, scanner-styles.ts), a labels file per site
// without the held-out patients, and the pooled test set of those held-out patients' images.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { getString, parseDicom, readNumbers, Tags } from '../site/dicom/index.ts';
import { synthesizeStudies, type SynthResult } from '../site/synth/index.ts';
import type { LabelledImage } from '../site/train/index.ts';
import type { DemoSettings } from './demo-options.ts';
import { styleOf } from './scanner-styles.ts';

export interface DemoSiteData {
  /** synth's key: site-01, ... */
  readonly key: string;
  readonly studiesDir: string;
  readonly labelsCsv: string;
  readonly consentCsv: string;
  /** The scanner, as its files say. */
  readonly scanner: string;
  readonly labelledStudies: number;
  readonly testStudies: number;
}

export interface DemoData {
  readonly sites: DemoSiteData[];
  /** Held-out images of every site (their originals: the site never labelled them). */
  readonly test: LabelledImage[];
  readonly testBySite: Record<string, number>;
}

/** Whether a patient is held out for the test set: a fixed share of each site's patients. */
export function isTestPatient(site: number, patient: number, fraction: number): boolean {
  const spread = (Math.imul(patient, 2654435761) ^ Math.imul(site, 40503)) >>> 0;
  return spread % 1000 < fraction * 1000;
}

export async function prepareDemoData(root: string, settings: DemoSettings): Promise<DemoData> {
  const outDir = join(root, 'studies');
  const synth = await synthesizeStudies({
    outDir,
    sites: settings.sites,
    patients: settings.patientsPerSite,
    seed: settings.seed,
    radiographSize: settings.imageSize,
    modalities: ['RADIOGRAPH'],
    ...(settings.consoleStyles
      ? { radiographStyles: Array.from({ length: settings.sites }, (_, index) => styleOf(index).style) }
      : {}),
  });
  mkdirSync(join(root, 'labels'), { recursive: true });
  const sites: DemoSiteData[] = [];
  const test: LabelledImage[] = [];
  const testBySite: Record<string, number> = {};
  for (let index = 1; index <= settings.sites; index++) {
    const key = `site-${String(index).padStart(2, '0')}`;
    const studies = synth.studies.filter((s) => s.site === key);
    const rows: string[] = [];
    let held = 0;
    for (const study of studies) {
      if (isTestPatient(index, study.patientIndex, settings.testFraction)) {
        held++;
        for (const path of radiographFiles(synth, study.dir)) {
          test.push({ path, label: study.label, patient: `${key}-p${study.patientIndex}` });
        }
      } else {
        rows.push(`${study.accessionNumber},${study.label === 1 ? 'nodule' : 'normal'}`);
      }
    }
    const labelsCsv = join(root, 'labels', `${key}.csv`);
    writeFileSync(labelsCsv, ['accession_number,label', ...rows].join('\n') + '\n');
    testBySite[key] = held;
    sites.push({
      key,
      studiesDir: join(outDir, key),
      labelsCsv,
      consentCsv: synth.consent[key]!,
      scanner:
        describeScanner(synth.files.find((f) => f.site === key)?.path) +
        (settings.consoleStyles ? `; ${styleOf(index - 1).description}` : ''),
      labelledStudies: rows.length,
      testStudies: held,
    });
  }
  return { sites, test, testBySite };
}

/** The radiograph itself (series 1), not a screen capture a study may also carry. */
function radiographFiles(synth: SynthResult, studyDir: string): string[] {
  const prefix = join(studyDir, 'series-01') + sep;
  return synth.files.filter((f) => f.path.startsWith(prefix)).map((f) => f.path);
}

const SYNTAX_NAMES: Record<string, string> = {
  '1.2.840.10008.1.2': 'Implicit VR Little Endian',
  '1.2.840.10008.1.2.1': 'Explicit VR Little Endian',
  '1.2.840.10008.1.2.2': 'Explicit VR Big Endian',
  '1.2.840.10008.1.2.5': 'RLE Lossless',
};

function describeScanner(path: string | undefined): string {
  if (!path) return 'unknown scanner';
  const file = parseDicom(new Uint8Array(readFileSync(path)));
  const text = (tag: number) => getString(file.dataset, tag)?.trim() ?? '';
  const bitsElement = file.dataset.get(Tags.BitsStored);
  const bits = bitsElement ? readNumbers(bitsElement, file.transferSyntax)[0] : undefined;
  const syntax = SYNTAX_NAMES[file.transferSyntax.uid] ?? file.transferSyntax.uid;
  return `${text(Tags.Manufacturer)} ${text(Tags.ManufacturerModelName)}, ${bits ?? '?'}-bit detector, ${syntax}`.trim();
}
