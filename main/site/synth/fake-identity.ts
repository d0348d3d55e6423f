// Fake identities for synthetic studies. Each identifying value is unique across the run (names,
// IDs, dates, addresses, phones), so a leak test that finds one in a de-identified file knows which
// patient and which attribute it came from. Categorical values (sex, rank, ethnic group) cannot be
// unique and are reported as such.
import {
  AREA_CODES,
  CITIES,
  CLINICAL_REASONS,
  DEPARTMENTS,
  ETHNIC_GROUPS,
  FAMILY_NAMES,
  GIVEN_NAMES,
  HOSPITAL_WORDS,
  MILITARY_RANKS,
  STREETS,
} from './fake-names.ts';
import type { Prng } from './prng.ts';

/** Values already handed out in this run; `claim` retries until it gets a new one. */
export class UniqueValues {
  private readonly taken = new Set<string>();

  /** `make(attempt)` should widen its space as attempts grow, so a crowded run still ends. */
  claim(make: (attempt: number) => string): string {
    for (let attempt = 0; attempt < 10_000; attempt++) {
      const value = make(attempt);
      if (!this.taken.has(value)) {
        this.taken.add(value);
        return value;
      }
    }
    throw new Error('The synthetic identity space is exhausted: generate fewer patients per run.');
  }

  claimDate(prng: Prng, from: Date, days: number): string {
    // Widen the window when it is crowded; the dates stay plausible, just spread over more years.
    return this.claim((attempt) =>
      formatDate(addDays(from, prng.int(0, (attempt < 50 ? days : days * 3) - 1))),
    );
  }
}

export interface PersonName {
  family: string;
  given: string;
  middle: string;
  /** DICOM PN form, e.g. `Smith^John^Allen`. */
  pn: string;
  /** As people write it in free text, e.g. `John Smith`. */
  natural: string;
}

export function fakePatientName(prng: Prng, unique: UniqueValues): PersonName {
  let family = '';
  let given = '';
  unique.claim((attempt) => {
    given = prng.pick(GIVEN_NAMES);
    family = prng.pick(FAMILY_NAMES);
    // A crowded run gets double-barrelled family names: 120^3 more combinations.
    if (attempt >= 20) family = `${family}-${prng.pick(FAMILY_NAMES)}`;
    return `${given} ${family}`;
  });
  const middle = prng.pick(GIVEN_NAMES);
  return { family, given, middle, pn: `${family}^${given}^${middle}`, natural: `${given} ${family}` };
}

/** Another name the patient was known by (a former family name), PN form, unique in the run. */
export function fakeFormerName(prng: Prng, unique: UniqueValues, name: PersonName): string {
  return unique.claim((attempt) => {
    const family =
      attempt >= 20 ? `${prng.pick(FAMILY_NAMES)}-${prng.pick(FAMILY_NAMES)}` : prng.pick(FAMILY_NAMES);
    return `${family}^${name.given}^${name.middle}`;
  });
}

/** A staff member's name (physician, operator): PN with a middle initial and a prefix, unique in the run. */
export function fakeStaffName(prng: Prng, unique: UniqueValues, prefix: 'Dr.' | ''): string {
  return unique.claim((attempt) => {
    const family =
      attempt >= 20 ? `${prng.pick(FAMILY_NAMES)}-${prng.pick(FAMILY_NAMES)}` : prng.pick(FAMILY_NAMES);
    const initial = String.fromCharCode(65 + prng.int(0, 25));
    return `${family}^${prng.pick(GIVEN_NAMES)}^${initial}^${prefix}`.replace(/\^+$/, '');
  });
}

export function fakeAddress(prng: Prng, unique: UniqueValues): string {
  return unique.claim(() => {
    const [city, state, zip] = prng.pick(CITIES);
    return `${prng.int(1, 9999)} ${prng.pick(STREETS)}, ${city}, ${state} ${zip}${prng.digits(2)}`;
  });
}

export function fakePhone(prng: Prng, unique: UniqueValues): string {
  return unique.claim(() => `${prng.pick(AREA_CODES)}-555-${prng.digits(4)}`);
}

/** An identifier with a fixed prefix and `digits` random digits, unique in the run. */
export function fakeId(prng: Prng, unique: UniqueValues, prefix: string, digits: number): string {
  return unique.claim((attempt) => `${prefix}${prng.digits(attempt > 100 ? digits + 2 : digits)}`);
}

export interface FakeInstitution {
  name: string;
  address: string;
  department: string;
  /** Issuer of Patient ID: the hospital's MRN namespace. */
  issuer: string;
}

export function fakeInstitution(prng: Prng, unique: UniqueValues): FakeInstitution {
  let place: (typeof CITIES)[number] = CITIES[0];
  const name = unique.claim((attempt) => {
    const [first, second] = prng.pick(HOSPITAL_WORDS);
    place = prng.pick(CITIES);
    return attempt < 30 ? `${first} ${second} ${place[0]}` : `${first} ${second} ${place[0]} ${attempt}`;
  });
  const [city, state, zip] = place;
  const address = unique.claim(() => {
    return `${prng.int(100, 4999)} ${prng.pick(STREETS)}, ${city}, ${state} ${zip}${prng.digits(2)}`;
  });
  const department = `${prng.pick(DEPARTMENTS)} ${name.split(' ')[0] ?? ''}`.trim();
  const issuer = unique.claim(() => `${name.replace(/[^A-Z]/g, '')}${prng.digits(2)} MRN`);
  return { name, address, department, issuer };
}

export interface PatientCategories {
  sex: 'M' | 'F' | 'O';
  militaryRank: string;
  ethnicGroup: string;
}

export function fakeCategories(prng: Prng): PatientCategories {
  return {
    sex: prng.chance(0.02) ? 'O' : prng.chance(0.5) ? 'F' : 'M',
    militaryRank: prng.pick(MILITARY_RANKS),
    ethnicGroup: prng.pick(ETHNIC_GROUPS),
  };
}

export const clinicalReason = (prng: Prng): string => prng.pick(CLINICAL_REASONS);

export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * 86_400_000);
}

/** DICOM DA: YYYYMMDD (UTC, so the result does not depend on the machine's time zone). */
export function formatDate(date: Date): string {
  const y = date.getUTCFullYear();
  const m = String(date.getUTCMonth() + 1).padStart(2, '0');
  const d = String(date.getUTCDate()).padStart(2, '0');
  return `${y}${m}${d}`;
}

export function parseDate(da: string): Date {
  return new Date(Date.UTC(Number(da.slice(0, 4)), Number(da.slice(4, 6)) - 1, Number(da.slice(6, 8))));
}
