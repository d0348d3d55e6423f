// Scanner traits of one synthetic site, fixed per site from the seed: the things that make images
// from two hospitals differ (vendor, calibration, noise, geometry, transfer syntax), so that a model
// and a de-identifier meet the variety they will meet in the field.
import { fakeId, fakeInstitution, type FakeInstitution, type UniqueValues } from './fake-identity.ts';
import { Prng } from './prng.ts';

export const TS_EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const TS_IMPLICIT_LE = '1.2.840.10008.1.2';
export const TS_EXPLICIT_BE = '1.2.840.10008.1.2.2';
export const TS_RLE = '1.2.840.10008.1.2.5';

export const SOP_CT = '1.2.840.10008.5.1.4.1.1.2';
export const SOP_DX = '1.2.840.10008.5.1.4.1.1.1.1'; // Digital X-Ray Image Storage - For Presentation
export const SOP_CR = '1.2.840.10008.5.1.4.1.1.1'; // Computed Radiography Image Storage
export const SOP_SC = '1.2.840.10008.5.1.4.1.1.7'; // Secondary Capture Image Storage

/** A real entry of PS3.15 Table E.3.10-1 (Safe Private Attributes): creator, group, low byte. */
export interface SafePrivate {
  creator: string;
  group: number;
  elementInBlock: number;
  vr: 'DS';
  meaning: string;
}

interface Vendor {
  manufacturer: string;
  ctModel: string;
  radiographModel: string;
  radiographSop: typeof SOP_DX | typeof SOP_CR;
  softwarePrefix: string;
  kernels: readonly string[];
  safePrivate: SafePrivate;
}

const GE_TABLE_SPEED: SafePrivate = {
  creator: 'GEMS_ACQU_01',
  group: 0x0019,
  elementInBlock: 0x23,
  vr: 'DS',
  meaning: 'Table Speed [mm/rotation]',
};
const ELSCINT_PITCH: SafePrivate = {
  creator: 'ELSCINT1',
  group: 0x01f1,
  elementInBlock: 0x26,
  vr: 'DS',
  meaning: 'Pitch',
};

// The safe private attribute per vendor is chosen for being real (Table E.3.10-1), not for matching
// what that vendor's scanners actually write: E.3.10 matches on creator + group + low byte only.
const VENDORS: readonly Vendor[] = [
  {
    manufacturer: 'GE MEDICAL SYSTEMS',
    ctModel: 'Revolution CT',
    radiographModel: 'Discovery XR656',
    radiographSop: SOP_DX,
    softwarePrefix: 'revo_ct_',
    kernels: ['STANDARD', 'LUNG', 'BONE'],
    safePrivate: GE_TABLE_SPEED,
  },
  {
    manufacturer: 'SIEMENS',
    ctModel: 'SOMATOM Force',
    radiographModel: 'Ysio Max',
    radiographSop: SOP_DX,
    softwarePrefix: 'syngo CT VB',
    kernels: ['Br40d', 'Bl57d', 'Br64d'],
    safePrivate: GE_TABLE_SPEED,
  },
  {
    manufacturer: 'Philips',
    ctModel: 'IQon - Spectral CT',
    radiographModel: 'DigitalDiagnost',
    radiographSop: SOP_DX,
    softwarePrefix: '4.',
    kernels: ['B', 'YA', 'L'],
    safePrivate: ELSCINT_PITCH,
  },
  {
    manufacturer: 'CANON_MEC',
    ctModel: 'Aquilion ONE',
    radiographModel: 'CXDI-710C',
    radiographSop: SOP_CR,
    softwarePrefix: 'V10.',
    kernels: ['FC52', 'FC07', 'FC18'],
    safePrivate: ELSCINT_PITCH,
  },
];

export interface SiteTraits {
  /** 1-based. */
  index: number;
  /** `site-01`: used in paths and as the key of the result's label and consent maps. */
  key: string;
  transferSyntaxUid: string;
  manufacturer: string;
  ctModel: string;
  radiographModel: string;
  radiographSop: string;
  softwareVersions: string;
  deviceSerialNumber: string;
  stationName: string;
  institution: FakeInstitution;
  safePrivate: SafePrivate;
  ct: {
    fovMm: number;
    sliceThicknessMm: number;
    kernel: string;
    kvp: number;
    /** Signed storage (HU as stored, intercept 0) or unsigned (stored = HU + 1024). */
    signed: boolean;
    /** Calibration: the scanner reports HU * scale + offset. */
    huScale: number;
    huOffset: number;
    noiseHu: number;
  };
  radiograph: {
    detectorMm: number;
    bitsStored: 12 | 16;
    gain: number;
    offset: number;
    /** Noise as a fraction of full scale. */
    noise: number;
  };
}

/** Site 1 Explicit VR LE, 2 Implicit VR LE, 3 RLE Lossless, 4 Explicit VR Big Endian, then around again. */
export const SITE_TRANSFER_SYNTAXES = [TS_EXPLICIT_LE, TS_IMPLICIT_LE, TS_RLE, TS_EXPLICIT_BE] as const;

export function siteKey(index: number): string {
  return `site-${String(index).padStart(2, '0')}`;
}

export function siteTraits(seed: number, index: number, unique: UniqueValues): SiteTraits {
  const prng = new Prng(seed, 0x5173, index);
  // Neighbouring sites get different vendors; which vendor comes first depends on the seed.
  const vendor = VENDORS[(index - 1 + (mixVendorStart(seed) % VENDORS.length)) % VENDORS.length]!;
  const institution = fakeInstitution(prng, unique);
  return {
    index,
    key: siteKey(index),
    transferSyntaxUid: SITE_TRANSFER_SYNTAXES[(index - 1) % SITE_TRANSFER_SYNTAXES.length]!,
    manufacturer: vendor.manufacturer,
    ctModel: vendor.ctModel,
    radiographModel: vendor.radiographModel,
    radiographSop: vendor.radiographSop,
    softwareVersions: `${vendor.softwarePrefix}${prng.int(10, 40)}.${prng.int(0, 9)}`,
    deviceSerialNumber: fakeId(prng, unique, 'SN', 8),
    stationName: fakeId(prng, unique, `${vendor.manufacturer.slice(0, 2).toUpperCase()}CT`, 5),
    institution,
    safePrivate: vendor.safePrivate,
    ct: {
      fovMm: prng.pick([320, 350, 380, 400, 450]),
      sliceThicknessMm: prng.pick([0.625, 1, 1.25, 2.5, 3, 5]),
      kernel: prng.pick(vendor.kernels),
      kvp: prng.pick([100, 120, 120, 140]),
      signed: prng.chance(0.5),
      huScale: prng.range(0.97, 1.03),
      huOffset: Math.round(prng.range(-15, 15)),
      noiseHu: prng.range(8, 30),
    },
    radiograph: {
      detectorMm: prng.pick([350, 385, 430]),
      bitsStored: prng.chance(0.5) ? 12 : 16,
      gain: prng.range(0.85, 1.1),
      offset: prng.range(-0.02, 0.05),
      noise: prng.range(0.006, 0.02),
    },
  };
}

function mixVendorStart(seed: number): number {
  return new Prng(seed, 0x7e4d).nextUint32();
}
