// `radfed bench he`: what homomorphic aggregation costs. For each model size and site count, the
// parameters a task of that many sites gets, a fresh task key, and one round in one process with the
// same functions the sites and the hub call: bytes one site uploads (a seeded CKKS update) against the
// plain float32 and float16 upload, a site's time to encrypt, the hub's time to add every site's
// ciphertexts at round close, a site's time to decrypt the sum, and the largest error of the decrypted
// sum against the exact sum of the float32 updates. Three distinct updates are encrypted and the hub
// adds them in turn up to the site count, so 50 sites of a 10M-value model fit in memory; the hub
// still reads and adds one ciphertext per site per 2048 values.
import type { Command } from 'commander';
import { modelValueCount } from '../shared/federation/index.ts';
import {
  createTaskSecretKey,
  EncryptedSummation,
  SiteCipher,
  summationErrorBound,
  summationParameters,
} from '../shared/node/homomorphic/index.ts';
import { CliError } from './failure.ts';

const DISTINCT_UPDATES = 3;
const VALUE_BOUND = 1;

interface Row {
  model: string;
  values: number;
  sites: number;
  primeBits: number;
  float32Bytes: number;
  float16Bytes: number;
  encryptedBytes: number;
  sumBytes: number;
  expansionFloat32: number;
  expansionFloat16: number;
  encryptMs: number;
  hubSumMs: number;
  decryptMs: number;
  maxError: number;
  errorBound: number;
}

export function registerBenchHeCommand(bench: Command): void {
  bench
    .command('he')
    .summary(
      'homomorphic aggregation: CKKS bytes per site vs float32/float16, encrypt, hub sum, decrypt, error',
    )
    .option(
      '--values <list>',
      'model sizes (values), comma-separated; "reference" is the reference CNN',
      'reference,1000000,10000000',
    )
    .option('--sites <list>', 'site counts, comma-separated', '3,10,50')
    .option('--json', 'print JSON')
    .action(async (flags: { values: string; sites: string; json?: boolean }) => {
      const rows: Row[] = [];
      // One small round first, so the first row does not carry WebAssembly's compile and warm-up.
      await measure('warm-up', [syntheticUpdate(4096, 1)], 2);
      for (const { model, values } of modelSizes(flags.values)) {
        const updates = Array.from({ length: DISTINCT_UPDATES }, (_, i) => syntheticUpdate(values, 17 + i));
        for (const sites of siteCounts(flags.sites)) {
          process.stderr.write(`he: ${model} (${values} values), ${sites} sites…\n`);
          rows.push(await measure(model, updates, sites));
        }
      }
      process.stdout.write(flags.json ? `${JSON.stringify(rows, null, 2)}\n` : format(rows));
    });
}

async function measure(model: string, updates: readonly Float32Array[], sites: number): Promise<Row> {
  const values = updates[0]!.length;
  const parameters = summationParameters({ maxSites: sites, valueBound: VALUE_BOUND });
  const key = await createTaskSecretKey(parameters);
  const site = await SiteCipher.withKey(parameters, key);
  const hub = await EncryptedSummation.open(parameters, key.keyId);
  try {
    const encryptMs: number[] = [];
    const encrypted = updates.map((update) => {
      const started = performance.now();
      const frame = site.encrypt(update);
      encryptMs.push(performance.now() - started);
      return frame;
    });
    const uploads = Array.from({ length: sites }, (_, i) => encrypted[i % encrypted.length]!);
    let started = performance.now();
    const sum = hub.sum(uploads);
    const hubSumMs = performance.now() - started;
    started = performance.now();
    const decrypted = site.decrypt(sum).values;
    const decryptMs = performance.now() - started;
    const exact = new Float64Array(values);
    for (let s = 0; s < sites; s++) {
      const update = updates[s % updates.length]!;
      for (let i = 0; i < values; i++) exact[i]! += update[i]!;
    }
    let maxError = 0;
    for (let i = 0; i < values; i++) maxError = Math.max(maxError, Math.abs(decrypted[i]! - exact[i]!));
    const encryptedBytes = encrypted[0]!.byteLength;
    return {
      model,
      values,
      sites,
      primeBits: parameters.primeBits,
      float32Bytes: 4 * values,
      float16Bytes: 2 * values,
      encryptedBytes,
      sumBytes: sum.byteLength,
      expansionFloat32: encryptedBytes / (4 * values),
      expansionFloat16: encryptedBytes / (2 * values),
      encryptMs: median(encryptMs),
      hubSumMs,
      decryptMs,
      maxError,
      errorBound: summationErrorBound(parameters, sites),
    };
  } finally {
    site.dispose();
    hub.dispose();
  }
}

/** A clipped model delta: mostly small values, one in a hundred near the bound. */
function syntheticUpdate(values: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  return Float32Array.from({ length: values }, () => {
    const wide = random() < 0.01;
    return Math.fround((random() * 2 - 1) * (wide ? VALUE_BOUND : 0.05 * VALUE_BOUND));
  });
}

function modelSizes(value: string): { model: string; values: number }[] {
  return value.split(',').map((part) => {
    const text = part.trim();
    if (text === 'reference') {
      const values = modelValueCount({
        model: { name: 'reference-cnn' },
        input: { size: 64, channels: 1, window: null },
        labels: ['absent', 'present'],
      });
      if (values === null) throw new CliError('The reference CNN has no known size.');
      return { model: 'reference CNN', values };
    }
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1)
      throw new CliError(`"${text}" is not a whole number of values, or "reference".`);
    return { model: `${n.toLocaleString('en')} values`, values: n };
  });
}

function siteCounts(value: string): number[] {
  return value.split(',').map((part) => {
    const n = Number(part.trim());
    if (!Number.isInteger(n) || n < 1)
      throw new CliError(
        `--sites takes whole numbers of 1 or more, comma-separated (3,10,50), not "${part}".`,
      );
    return n;
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function format(rows: Row[]): string {
  const lines = [
    '| model | sites | prime | float32 bytes/site | float16 bytes/site | CKKS bytes/site | × float32 | × float16 | sum bytes | encrypt/site | hub sum | decrypt/site | max error | bound |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.model} | ${r.sites} | ${r.primeBits} bits | ${bytes(r.float32Bytes)} | ${bytes(r.float16Bytes)} | ` +
        `${bytes(r.encryptedBytes)} | ${r.expansionFloat32.toFixed(2)}× | ${r.expansionFloat16.toFixed(2)}× | ${bytes(r.sumBytes)} | ` +
        `${ms(r.encryptMs)} | ${ms(r.hubSumMs)} | ${ms(r.decryptMs)} | ${r.maxError.toExponential(1)} | ${r.errorBound.toExponential(1)} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

function bytes(value: number): string {
  return value >= 1e6 ? `${(value / 1e6).toFixed(1)} MB` : `${(value / 1e3).toFixed(0)} kB`;
}

function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(0)} ms`;
}
