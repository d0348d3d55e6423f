// `synthesizeStudies`: writes a deterministic multi-site corpus of synthetic DICOM studies, their
// labels and a consent export. Content is drawn from the seed in a fixed order and pixels from
// per-study seeds, so the bytes of every file depend on the options alone, never on timing.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildFileMeta, transferSyntaxOf, writeDicom, type DicomDataset } from '../dicom/index.ts';
import { DatasetBuilder, type PlantedValue } from './dataset-builder.ts';
import { seriesContext } from './image-series.ts';
import { NoiseTable } from './noise-table.ts';
import type { RadiographStyle } from './radiograph-style.ts';
import { addPatientAndStudy } from './phi-attributes.ts';
import { planRun, type SitePlan, type StudyKind } from './study-plan.ts';
import { RadfedError } from '../../../shared/errors.ts';

/** Label values in the labels CSV: the finding (a lung nodule) or none. */
export const SYNTH_LABELS = { positive: 'nodule', negative: 'normal' } as const;

export interface SynthOptions {
  outDir: string;
  sites: number;
  /** Patients per site. */
  patients: number;
  seed: number;
  /** Slices per CT series (default 8). */
  ctSlices?: number;
  /** CT image size in pixels (default 128; the benchmark uses 512). */
  ctMatrix?: number;
  /** Radiograph (and secondary capture) size in pixels (default 256). */
  radiographSize?: number;
  /**
   * Console processing of the radiographs per site (site 1 takes the first, cycling); by default none.
   * The demo uses it to give each hospital its own look.
   */
  radiographStyles?: readonly RadiographStyle[];
  /** Which study kinds to draw (default both): `['CT']` for a CT-only corpus. */
  modalities?: readonly StudyKind[];
  onProgress?(done: number, total: number): void;
}

export interface SynthFile {
  /** Absolute path of the written file. */
  path: string;
  /** `site-01`, ... */
  site: string;
  /** 1-based patient number within the site. */
  patientIndex: number;
  /** Every fake PHI value planted in this file (distinct values). */
  planted: string[];
  /** The same values with the attribute each went into and its kind. */
  plantedFields: PlantedValue[];
}

export interface SynthStudy {
  site: string;
  patientIndex: number;
  accessionNumber: string;
  kind: StudyKind;
  label: 0 | 1;
  /** Whether its images carry burned-in text (a site holds them at ingest). */
  burnedIn: boolean;
  /** Absolute path of the study folder. */
  dir: string;
}

export interface SynthResult {
  files: SynthFile[];
  studies: SynthStudy[];
  /** Labels CSV per site key. */
  labels: Record<string, string>;
  /** Consent CSV per site key. */
  consent: Record<string, string>;
  totals: {
    sites: number;
    patients: number;
    studies: number;
    positives: number;
    files: number;
    bytes: number;
  };
}

export class SynthError extends RadfedError<'invalid-option' | 'out-not-empty'> {
  override readonly name = 'SynthError';
}

/** Files being written at once: enough to keep the disk busy, few enough to bound memory. */
const WRITES_IN_FLIGHT = 8;

export async function synthesizeStudies(options: SynthOptions): Promise<SynthResult> {
  const ctSlices = options.ctSlices ?? 8;
  const sizes = {
    ctMatrix: options.ctMatrix ?? 128,
    radiographSize: options.radiographSize ?? 256,
    ...(options.radiographStyles ? { radiographStyles: options.radiographStyles } : {}),
  };
  checkOptions(options, ctSlices, sizes.ctMatrix, sizes.radiographSize);
  await ensureEmptyDir(options.outDir);

  const modalities = options.modalities ?? ['CT', 'RADIOGRAPH'];
  const plan = planRun({
    sites: options.sites,
    patients: options.patients,
    seed: options.seed,
    ctSlices,
    modalities,
  });
  const noise = new NoiseTable(options.seed >>> 0);
  const total = countInstances(plan);
  const result: SynthResult = {
    files: [],
    studies: [],
    labels: {},
    consent: {},
    totals: { sites: plan.length, patients: 0, studies: 0, positives: 0, files: 0, bytes: 0 },
  };
  const inFlight = new Set<Promise<void>>();
  let writeError: unknown;
  const write = async (path: string, chunks: Buffer[]): Promise<void> => {
    const job: Promise<void> = writeFile(path, chunks).then(
      () => {
        result.totals.files++;
        options.onProgress?.(result.totals.files, total);
      },
      (error: unknown) => {
        writeError ??= error;
      },
    );
    inFlight.add(job);
    void job.finally(() => inFlight.delete(job));
    if (inFlight.size >= WRITES_IN_FLIGHT) await Promise.race(inFlight);
    if (writeError) throw writeError;
  };

  for (const { traits: site, patients } of plan) {
    const ts = transferSyntaxOf(site.transferSyntaxUid);
    const siteDir = join(options.outDir, site.key);
    for (const patient of patients) {
      result.totals.patients++;
      for (const study of patient.studies) {
        const studyDir = join(siteDir, `study-${pad(study.number, 4)}`);
        result.studies.push({
          site: site.key,
          patientIndex: patient.index,
          accessionNumber: study.accessionNumber,
          kind: study.kind,
          label: study.label,
          burnedIn: study.burnedIn,
          dir: studyDir,
        });
        result.totals.studies++;
        result.totals.positives += study.label;
        const studyLevel = new DatasetBuilder(ts);
        addPatientAndStudy(studyLevel, site, patient, study);
        for (const series of study.series) {
          const seriesDir = join(studyDir, `series-${pad(series.number, 2)}`);
          await mkdir(seriesDir, { recursive: true });
          const shared = new DatasetBuilder(ts);
          const context = seriesContext(site, patient, study, series, sizes, noise, shared);
          for (let k = 0; k < series.instanceUids.length; k++) {
            const instance = new DatasetBuilder(ts);
            context.renderInstance(k, instance);
            const dataset: DicomDataset = new Map([...studyLevel.ds, ...shared.ds, ...instance.ds]);
            const meta = buildFileMeta({
              sopClassUid: context.sopClassUid,
              sopInstanceUid: series.instanceUids[k]!,
              transferSyntaxUid: ts.uid,
            });
            const chunks = writeDicom({ meta, dataset, transferSyntax: ts, hadPreamble: true });
            const path = join(seriesDir, `img-${pad(k + 1, 4)}.dcm`);
            const fields = [...studyLevel.planted, ...shared.planted, ...instance.planted];
            result.files.push({
              path,
              site: site.key,
              patientIndex: patient.index,
              planted: [...new Set(fields.map((f) => f.value))],
              plantedFields: fields,
            });
            result.totals.bytes += chunks.reduce((sum, c) => sum + c.length, 0);
            await write(path, chunks);
          }
        }
      }
    }
    result.labels[site.key] = await writeSiteCsv(options.outDir, 'labels', site.key, labelsCsv(patients));
    result.consent[site.key] = await writeSiteCsv(options.outDir, 'consent', site.key, consentCsv(patients));
  }
  await Promise.all(inFlight);
  if (writeError) throw writeError;
  return result;
}

function labelsCsv(patients: SitePlan['patients']): string {
  const rows = patients.flatMap((p) =>
    p.studies.map((s) => `${s.accessionNumber},${s.label ? SYNTH_LABELS.positive : SYNTH_LABELS.negative}`),
  );
  return ['accession_number,label', ...rows].join('\n') + '\n';
}

function consentCsv(patients: SitePlan['patients']): string {
  const rows = patients.map((p) => `${p.patientId},${p.consent.status},${p.consent.date}`);
  return ['patient_id,status,date', ...rows].join('\n') + '\n';
}

async function writeSiteCsv(outDir: string, folder: string, site: string, text: string): Promise<string> {
  await mkdir(join(outDir, folder), { recursive: true });
  const path = join(outDir, folder, `${site}.csv`);
  await writeFile(path, text);
  return path;
}

function countInstances(plan: SitePlan[]): number {
  let n = 0;
  for (const site of plan) {
    for (const p of site.patients)
      for (const s of p.studies) for (const se of s.series) n += se.instanceUids.length;
  }
  return n;
}

function checkOptions(o: SynthOptions, ctSlices: number, ctMatrix: number, radiographSize: number): void {
  const need = (ok: boolean, what: string): void => {
    if (!ok) throw new SynthError('invalid-option', `${what}; fix the option and run again.`);
  };
  need(
    Number.isSafeInteger(o.sites) && o.sites >= 1 && o.sites <= 99,
    'sites must be a whole number from 1 to 99',
  );
  need(Number.isSafeInteger(o.patients) && o.patients >= 1, 'patients must be a whole number of at least 1');
  need(Number.isSafeInteger(o.seed), 'seed must be a whole number');
  need(
    Number.isSafeInteger(ctSlices) && ctSlices >= 1 && ctSlices <= 2000,
    'ctSlices must be from 1 to 2000',
  );
  need(
    Number.isSafeInteger(ctMatrix) && ctMatrix >= 16 && ctMatrix <= 2048,
    'ctMatrix must be from 16 to 2048',
  );
  need(
    Number.isSafeInteger(radiographSize) && radiographSize >= 16 && radiographSize <= 4096,
    'radiographSize must be from 16 to 4096',
  );
  need(
    !o.modalities || (o.modalities.length > 0 && o.modalities.every((m) => m === 'CT' || m === 'RADIOGRAPH')),
    'modalities must list CT, RADIOGRAPH or both',
  );
}

async function ensureEmptyDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const entries = await readdir(dir);
  if (entries.length > 0) {
    throw new SynthError(
      'out-not-empty',
      `The output folder ${dir} is not empty: choose a new folder (old studies would mix with new ones).`,
    );
  }
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
