// Each demo hospital's radiography console processes its images its own way: field of view,
// smoothing or edge enhancement, display curve, detector noise. This is the everyday difference
// between hospitals that makes a model trained at one of them fail at another; the synthesiser draws
// it (synth's radiographStyles) on top of each site's vendor, calibration and transfer syntax.
import type { RadiographStyle } from '../site/synth/index.ts';

export interface ScannerStyle {
  readonly style: RadiographStyle;
  /** In plain words, for the demo's progress lines. */
  readonly description: string;
}

export const SCANNER_STYLES: readonly ScannerStyle[] = [
  { style: {}, description: 'standard field of view and processing' },
  {
    style: { zoom: 1.25, blur: 1, noise: 0.03 },
    description: 'tight field of view, soft and noisy detector',
  },
  {
    style: { zoom: 0.85, sharpen: 1.5, sharpenRadius: 1.5, gamma: 0.7 },
    description: 'wide field of view, strong edge enhancement, lifted display curve',
  },
];

/** The style of the demo's n-th hospital (0-based), cycling when there are more hospitals than styles. */
export function styleOf(siteIndex: number): ScannerStyle {
  return SCANNER_STYLES[siteIndex % SCANNER_STYLES.length]!;
}
