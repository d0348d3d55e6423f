// `radfed bench train-memory`: peak memory (RSS) of the data path over a large cohort — decoding,
// preparation, the cache and the batch loader — sampled as the epoch advances. Memory must stay flat
// as the images go by: the loader holds a few batches, never the cohort.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listFolderFiles } from '../../../../shared/node/index.ts';
import { synthesizeStudies } from '../../synth/index.ts';
import { BatchLoader, type LabelledImage } from '../data/index.ts';

export interface LoaderMemoryOptions {
  images: number;
  size: number;
  batchSize?: number;
  /** Folder for the generated cohort and the cache (default: a temporary folder, removed after). */
  workDir?: string;
  log?: (line: string) => void;
}

export interface MemorySample {
  images: number;
  rssMb: number;
}

export interface LoaderMemoryResult {
  images: number;
  size: number;
  generateSeconds: number;
  /** Epoch 1 decodes and fills the cache; epoch 2 reads the cache. */
  epochs: { seconds: number; imagesPerSecond: number; peakRssMb: number; samples: MemorySample[] }[];
  rssBeforeMb: number;
  /** The process's peak RSS over the whole run (getrusage). */
  maxRssMb: number;
  cacheMb: number;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

export async function benchmarkLoaderMemory(options: LoaderMemoryOptions): Promise<LoaderMemoryResult> {
  const own = !options.workDir;
  const work = options.workDir ?? (await mkdtemp(join(tmpdir(), 'radfed-memory-')));
  const log = options.log ?? (() => {});
  try {
    const slices = 100;
    const started = performance.now();
    log(`Generating ${options.images} synthetic CT slices of ${options.size}×${options.size}…`);
    const corpus = await synthesizeStudies({
      outDir: join(work, 'cohort'),
      sites: 1,
      patients: Math.ceil(options.images / slices),
      seed: 1,
      ctSlices: slices,
      ctMatrix: options.size,
      modalities: ['CT'],
    });
    const generateSeconds = (performance.now() - started) / 1000;
    const items: LabelledImage[] = corpus.files.slice(0, options.images).map((f, i) => ({
      path: f.path,
      label: i % 2,
      patient: `${f.patientIndex}`,
    }));
    global.gc?.();
    const rssBeforeMb = mb(process.memoryUsage().rss);
    const loader = new BatchLoader({
      items,
      recipe: { size: options.size, window: { center: -600, width: 1500 } },
      batchSize: options.batchSize ?? 32,
      cacheDir: join(work, 'cache'),
      augment: {},
    });
    const epochs: LoaderMemoryResult['epochs'] = [];
    for (let epoch = 0; epoch < 2; epoch++) {
      const samples: MemorySample[] = [];
      const t0 = performance.now();
      let seen = 0;
      let peak = 0;
      let nextSample = 0;
      for await (const batch of loader.epoch(epoch)) {
        seen += batch.count;
        const rss = mb(process.memoryUsage().rss);
        peak = Math.max(peak, rss);
        if (seen >= nextSample) {
          samples.push({ images: seen, rssMb: rss });
          nextSample += Math.max(1, Math.floor(items.length / 10));
        }
      }
      const seconds = (performance.now() - t0) / 1000;
      epochs.push({ seconds, imagesPerSecond: items.length / seconds, peakRssMb: peak, samples });
      log(`Epoch ${epoch + 1}: ${items.length} images in ${seconds.toFixed(1)} s, peak RSS ${peak} MB.`);
    }
    return {
      images: items.length,
      size: options.size,
      generateSeconds,
      epochs,
      rssBeforeMb,
      maxRssMb: mb(process.resourceUsage().maxRSS * 1024),
      cacheMb: mb(await folderBytes(join(work, 'cache'))),
    };
  } finally {
    if (own) await rm(work, { recursive: true, force: true });
  }
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const path of await listFolderFiles(dir)) total += (await stat(path)).size;
  return total;
}
