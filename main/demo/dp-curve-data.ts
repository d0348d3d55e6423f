// The data of the DP curve (dp-curve.ts): the demo's synthetic hospitals at a given size, with their
// console styles, each site's training images, and the pooled test set of held-out patients.
import { join, sep } from 'node:path';
import { synthesizeStudies } from '../site/synth/index.ts';
import type { LabelledImage } from '../site/train/index.ts';
import { isTestPatient } from './demo-data.ts';
import { DEMO_DEFAULTS } from './demo-options.ts';
import type { DpCurveOptions } from './dp-curve.ts';
import { styleOf } from './scanner-styles.ts';

/** The demo's synthetic hospitals at this size: training images per site, and the pooled test set. */
export async function curveData(
  dir: string,
  patients: number,
  options: Pick<DpCurveOptions, 'sites' | 'imageSize'>,
): Promise<{ sites: LabelledImage[][]; test: LabelledImage[] }> {
  const synth = await synthesizeStudies({
    outDir: join(dir, 'studies'),
    sites: options.sites,
    patients,
    seed: DEMO_DEFAULTS.seed,
    radiographSize: options.imageSize,
    modalities: ['RADIOGRAPH'],
    radiographStyles: Array.from({ length: options.sites }, (_, index) => styleOf(index).style),
  });
  const sites: LabelledImage[][] = Array.from({ length: options.sites }, () => []);
  const test: LabelledImage[] = [];
  for (const study of synth.studies) {
    const index = Number(study.site.slice('site-'.length));
    const prefix = join(study.dir, 'series-01') + sep;
    const patient = `${study.site}-p${study.patientIndex}`;
    for (const file of synth.files.filter((f) => f.path.startsWith(prefix))) {
      const item = { path: file.path, label: study.label, patient };
      if (isTestPatient(index, study.patientIndex, DEMO_DEFAULTS.testFraction)) test.push(item);
      // A site never trains on an image with burned-in text: ingest holds it back.
      else if (!study.burnedIn) sites[index - 1]!.push(item);
    }
  }
  return { sites, test };
}
