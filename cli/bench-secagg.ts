// `radfed bench secagg`: what secure aggregation costs. For each model size and site count, one
// SecAgg+ round in one process (the same functions the networked round uses): bytes each site sends
// (masked input sealed to the hub, round keys, encrypted shares, revealed shares) against the plain
// sealed float32 update, the site's time to quantise and mask, and the hub's time to unmask, with no
// dropout and with one site dropping out after sharing keys. All sites share one update's values, so
// 50 sites of a 10M-value model fit in memory; each site still quantises and masks its own copy.
import type { Command } from 'commander';
import { encodeWeights, type NamedTensor } from '../shared/federation/index.ts';
import { runLocalRound } from '../shared/node/secagg/index.ts';
import { CliError } from './failure.ts';

const SEAL_OVERHEAD = 4 + 32 + 32 + 12 + 16; // RFS1 header and GCM tag
const RFM1_HEADER = 8;

interface Row {
  values: number;
  sites: number;
  neighbours: number;
  plainBytes: number;
  secureBytes: number;
  ratio: number;
  maskMs: number;
  unmaskMs: number;
  unmaskOneDropoutMs: number;
}

export function registerBenchSecAggCommand(bench: Command): void {
  bench
    .command('secagg')
    .summary('secure aggregation: bytes per site vs plain upload, masking and unmasking time')
    .option('--values <list>', 'model sizes (values), comma-separated', '1000000,10000000')
    .option('--sites <list>', 'site counts, comma-separated', '3,10,50')
    .option('--json', 'print JSON')
    .action(async (flags: { values: string; sites: string; json?: boolean }) => {
      const rows: Row[] = [];
      for (const values of list(flags.values)) {
        const delta: NamedTensor[] = [
          {
            name: 'w',
            shape: [values],
            data: Float32Array.from({ length: values }, (_, i) => Math.sin(i) * 0.05),
          },
        ];
        const plainBytes = encodeWeights(delta, 'none').byteLength + SEAL_OVERHEAD;
        for (const sites of list(flags.sites)) {
          process.stderr.write(`secagg: ${values} values, ${sites} sites…\n`);
          const all = Array.from({ length: sites }, (_, i) => ({
            siteId: `site_${i}`,
            delta,
            examples: 100 + i,
          }));
          const full = await runLocalRound({ sites: all, clipRange: 0.5, bits: 16 });
          const dropped = await runLocalRound({
            sites: all,
            clipRange: 0.5,
            bits: 16,
            dropAfterSharing: ['site_0'],
          });
          const keyBytes = Math.max(...full.keyExchangeBytes);
          const secureBytes = RFM1_HEADER + 4 * (values + 1) + SEAL_OVERHEAD + keyBytes;
          rows.push({
            values,
            sites,
            neighbours: full.plan.neighbours,
            plainBytes,
            secureBytes,
            ratio: secureBytes / plainBytes,
            maskMs: median(full.maskMs),
            unmaskMs: full.unmaskMs,
            unmaskOneDropoutMs: dropped.unmaskMs,
          });
        }
      }
      process.stdout.write(flags.json ? `${JSON.stringify(rows, null, 2)}\n` : format(rows));
    });
}

function list(value: string): number[] {
  return value.split(',').map((part) => {
    const n = Number(part.trim());
    if (!Number.isInteger(n) || n < 2) throw new CliError(`"${part}" is not a whole number of at least 2.`);
    return n;
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function format(rows: Row[]): string {
  const lines = [
    '| values | sites | k | plain bytes/site | secure bytes/site | ratio | site masking | hub unmasking | hub unmasking, 1 dropout |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.values.toLocaleString('en')} | ${r.sites} | ${r.neighbours} | ${r.plainBytes.toLocaleString('en')} | ` +
        `${r.secureBytes.toLocaleString('en')} | ${r.ratio.toFixed(3)}× | ${ms(r.maskMs)} | ${ms(r.unmaskMs)} | ${ms(r.unmaskOneDropoutMs)} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(0)} ms`;
}
