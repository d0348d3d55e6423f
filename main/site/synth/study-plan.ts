// The plan of a synthetic run: sites, patients, studies, series and instances with every fake
// identifier, drawn in one fixed order from the seed. Pixels are rendered later from per-study seeds,
// so files can be written in any order (and concurrently) and still come out byte-identical.
import {
  addDays,
  clinicalReason,
  fakeAddress,
  fakeCategories,
  fakeFormerName,
  fakeId,
  fakePatientName,
  fakePhone,
  fakeStaffName,
  formatDate,
  parseDate,
  type PatientCategories,
  type PersonName,
  UniqueValues,
} from './fake-identity.ts';
import { Prng } from './prng.ts';
import { siteTraits, type SiteTraits } from './site-traits.ts';

/** A fake organisation root: these UIDs belong to no real device (PS3.5 9: digits and dots, <= 64). */
export const SYNTH_UID_ROOT = '1.2.826.0.1.3680043.10.999.';

export type StudyKind = 'CT' | 'RADIOGRAPH';
export type SeriesKind = 'CT' | 'RADIOGRAPH' | 'SECONDARY_CAPTURE';

export interface PlanOptions {
  sites: number;
  patients: number;
  seed: number;
  ctSlices: number;
  modalities: readonly StudyKind[];
}

export interface SeriesPlan {
  kind: SeriesKind;
  number: number;
  uid: string;
  frameOfReferenceUid: string;
  seriesTime: string;
  instanceUids: string[];
}

export interface StudyPlan {
  /** 1-based within its site: the study folder's number. */
  number: number;
  kind: StudyKind;
  /** 1 = nodule present (the finding), 0 = none. */
  label: 0 | 1;
  accessionNumber: string;
  studyId: string;
  requestedProcedureId: string;
  scheduledProcedureStepId: string;
  studyDate: string;
  studyTime: string;
  uid: string;
  /** An earlier study this one refers to (the patient's previous study, or an outside prior). */
  referencedStudyUid: string;
  performingPhysician: string;
  operator: string;
  readingPhysician: string;
  reason: string;
  /** Radiographs flagged with Burned In Annotation YES. */
  burnedIn: boolean;
  /** Seed of this study's pixels. */
  pixelSeed: number;
  series: SeriesPlan[];
}

export interface PatientPlan {
  /** 1-based within its site. */
  index: number;
  name: PersonName;
  patientId: string;
  otherPatientId: string;
  otherIssuer: string;
  otherName: string;
  birthDate: string;
  categories: PatientCategories;
  address: string;
  phone: string;
  motherBirthName: string;
  referringPhysician: string;
  requestingPhysician: string;
  /** For Referenced Patient Sequence (a detached patient record). */
  patientRecordUid: string;
  consent: { status: 'granted' | 'refused'; date: string };
  studies: StudyPlan[];
}

export interface SitePlan {
  traits: SiteTraits;
  patients: PatientPlan[];
}

class UidSource {
  private readonly counters = new Map<number, number>();
  constructor(private readonly seed: number) {}
  /** `kind` keeps study, series, instance and other UIDs apart: root.seed.kind.counter. */
  next(kind: number): string {
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    return `${SYNTH_UID_ROOT}${this.seed}.${kind}.${n}`;
  }
}

const UID_STUDY = 1;
const UID_SERIES = 2;
const UID_INSTANCE = 3;
const UID_FRAME = 4;
const UID_OTHER = 5;

const STUDY_DATES_FROM = new Date(Date.UTC(2005, 0, 1));
const STUDY_DATE_DAYS = 20 * 365;
const BIRTH_DATES_FROM = new Date(Date.UTC(1930, 0, 1));
const BIRTH_DATE_DAYS = 70 * 365;

export function planRun(options: PlanOptions): SitePlan[] {
  const seed = options.seed >>> 0;
  const unique = new UniqueValues();
  const uids = new UidSource(seed);
  const sites: SitePlan[] = [];
  for (let s = 1; s <= options.sites; s++) {
    const traits = siteTraits(seed, s, unique);
    const patients: PatientPlan[] = [];
    let studyNumber = 0;
    for (let p = 1; p <= options.patients; p++) {
      const prng = new Prng(seed, 0x9a7, s, p);
      const patient = planPatient(prng, unique, uids, p, traits);
      const studyCount = prng.chance(0.4) ? 2 : 1;
      let date = parseDate(unique.claimDate(prng, STUDY_DATES_FROM, STUDY_DATE_DAYS));
      for (let k = 0; k < studyCount; k++) {
        if (k > 0) date = parseDate(unique.claim(() => formatDate(addDays(date, prng.int(60, 400)))));
        const prior = patient.studies.at(-1)?.uid ?? uids.next(UID_OTHER);
        patient.studies.push(planStudy(prng, unique, uids, ++studyNumber, formatDate(date), prior, options));
      }
      patient.consent = {
        status: prng.chance(0.1) ? 'refused' : 'granted',
        date: formatIsoDate(addDays(date, -prng.int(1, 300))),
      };
      patients.push(patient);
    }
    sites.push({ traits, patients });
  }
  return sites;
}

function planPatient(
  prng: Prng,
  unique: UniqueValues,
  uids: UidSource,
  index: number,
  site: SiteTraits,
): PatientPlan {
  const name = fakePatientName(prng, unique);
  return {
    index,
    name,
    patientId: fakeId(prng, unique, `${String.fromCharCode(64 + ((site.index - 1) % 26) + 1)}`, 8),
    otherPatientId: fakeId(prng, unique, '', 10),
    otherIssuer: 'NHS',
    otherName: fakeFormerName(prng, unique, name),
    birthDate: unique.claimDate(prng, BIRTH_DATES_FROM, BIRTH_DATE_DAYS),
    categories: fakeCategories(prng),
    address: fakeAddress(prng, unique),
    phone: fakePhone(prng, unique),
    motherBirthName: fakePatientName(prng, unique).pn,
    referringPhysician: fakeStaffName(prng, unique, 'Dr.'),
    requestingPhysician: fakeStaffName(prng, unique, 'Dr.'),
    patientRecordUid: uids.next(UID_OTHER),
    consent: { status: 'granted', date: '' },
    studies: [],
  };
}

function planStudy(
  prng: Prng,
  unique: UniqueValues,
  uids: UidSource,
  number: number,
  studyDate: string,
  referencedStudyUid: string,
  options: PlanOptions,
): StudyPlan {
  const kind = prng.pick(options.modalities);
  const studyTime = `${String(prng.int(7, 19)).padStart(2, '0')}${String(prng.int(0, 59)).padStart(2, '0')}00`;
  const series: SeriesKind[] = [kind];
  // A few studies carry a screen capture (a dose sheet, a reformat snapshot): at risk of burned-in text.
  if (prng.chance(0.08)) series.push('SECONDARY_CAPTURE');
  const frameOfReferenceUid = uids.next(UID_FRAME);
  return {
    number,
    kind,
    label: prng.chance(0.5) ? 1 : 0,
    accessionNumber: fakeId(prng, unique, 'ACC', 8),
    studyId: fakeId(prng, unique, 'ST', 6),
    requestedProcedureId: fakeId(prng, unique, 'RP', 7),
    scheduledProcedureStepId: fakeId(prng, unique, 'SPS', 7),
    studyDate,
    studyTime,
    uid: uids.next(UID_STUDY),
    referencedStudyUid,
    performingPhysician: fakeStaffName(prng, unique, 'Dr.'),
    operator: fakeStaffName(prng, unique, ''),
    readingPhysician: fakeStaffName(prng, unique, 'Dr.'),
    reason: clinicalReason(prng),
    burnedIn: kind === 'RADIOGRAPH' && prng.chance(0.05),
    pixelSeed: prng.nextUint32(),
    series: series.map((seriesKind, i) => ({
      kind: seriesKind,
      number: i + 1,
      uid: uids.next(UID_SERIES),
      frameOfReferenceUid,
      seriesTime: addMinutes(studyTime, 2 + i * 7),
      instanceUids: Array.from({ length: seriesKind === 'CT' ? options.ctSlices : 1 }, () =>
        uids.next(UID_INSTANCE),
      ),
    })),
  };
}

function addMinutes(time: string, minutes: number): string {
  const total = Number(time.slice(0, 2)) * 60 + Number(time.slice(2, 4)) + minutes;
  return `${String(Math.floor(total / 60) % 24).padStart(2, '0')}${String(total % 60).padStart(2, '0')}00`;
}

function formatIsoDate(date: Date): string {
  const da = formatDate(date);
  return `${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6, 8)}`;
}
