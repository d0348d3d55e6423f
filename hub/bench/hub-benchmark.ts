// Hub benchmarks (`radfed bench hub`, figures in docs/benchmarks.md):
//  - aggregation throughput: the hub's per-update pipeline (AES-GCM open, RFW1 decode, weighted sum)
//    plus the strategy step, in MB/s of sealed updates, for each compression;
//  - a scale run: one hub on loopback HTTPS and N simulated sites (in-process clients with their own
//    keys) that enroll, join, download the global model and upload random updates, round after round.
// The model is laid out like the reference CNN (97,410 float32 parameters) unless told otherwise.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applyStrategy,
  decodeWeights,
  encodeWeights,
  float32ByteLength,
  layoutOf,
  WeightedDeltaSum,
  type Compression,
  type NamedTensor,
} from '../../shared/federation/index.ts';
import {
  enrollSite,
  generateExchangeKeyPair,
  HubClient,
  loadPrivateKey,
  openSealed,
  sealForHub,
  uploadContext,
} from '../../shared/node/federation/index.ts';
import { startScaleHubs, type ScaleStore } from './scale-hubs.ts';
import { createTask } from '../tasks.ts';

/** The reference CNN's weights (REFERENCES.md): four 3×3 convolutions and a dense layer. */
export function referenceCnnLayout(): { name: string; shape: number[] }[] {
  const convs = [
    [1, 16],
    [16, 32],
    [32, 64],
    [64, 128],
  ] as const;
  return [
    ...convs.flatMap(([input, output], i) => [
      { name: `conv2d_${i + 1}/kernel`, shape: [3, 3, input, output] },
      { name: `conv2d_${i + 1}/bias`, shape: [output] },
    ]),
    { name: 'dense/kernel', shape: [128, 2] },
    { name: 'dense/bias', shape: [2] },
  ];
}

function layoutWithParameters(parameters?: number): { name: string; shape: number[] }[] {
  if (!parameters) return referenceCnnLayout();
  return [{ name: 'dense/kernel', shape: [parameters] }];
}

function randomWeights(
  layout: { name: string; shape: number[] }[],
  seed: number,
  scale: number,
): NamedTensor[] {
  let state = seed >>> 0 || 1;
  return layout.map(({ name, shape }) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i += 1) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      data[i] = (state / 2 ** 32 - 0.5) * 2 * scale;
    }
    return { name, shape, data };
  });
}

export interface AggregationFigure {
  readonly compression: Compression;
  readonly sites: number;
  readonly parameters: number;
  readonly sealedBytesPerUpdate: number;
  readonly seconds: number;
  readonly megabytesPerSecond: number;
  readonly float32MegabytesPerSecond: number;
}

export function benchmarkAggregation(
  options: { sites?: number; parameters?: number; compressions?: Compression[]; repeats?: number } = {},
): AggregationFigure[] {
  const sites = options.sites ?? 20;
  const layout = layoutWithParameters(options.parameters);
  const exchange = generateExchangeKeyPair();
  const hubKey = loadPrivateKey(exchange.privateKeyPem);
  const global = randomWeights(layout, 1, 0.1);
  const raw = float32ByteLength(global);
  return (options.compressions ?? ['none', 'float16', 'int8']).map((compression) => {
    const sealed = Array.from({ length: sites }, (_, i) => {
      const plaintext = encodeWeights(randomWeights(layout, i + 2, 0.01), compression);
      return sealForHub(
        plaintext,
        exchange.publicKey,
        uploadContext({ taskId: 't', round: 1, siteId: `s${i}`, kind: 'delta' }),
      );
    });
    // The median of a few passes: the first one also pays for the JIT warming up.
    const times = Array.from({ length: options.repeats ?? 3 }, () => {
      const started = performance.now();
      const sum = new WeightedDeltaSum(layoutOf(global));
      sealed.forEach((bytes, i) => {
        const plaintext = openSealed(
          bytes,
          hubKey,
          uploadContext({ taskId: 't', round: 1, siteId: `s${i}`, kind: 'delta' }),
        );
        sum.add({ siteId: `s${i}`, examples: 100 + i, delta: decodeWeights(plaintext) });
      });
      applyStrategy({ name: 'fedavg' }, global, sum);
      return (performance.now() - started) / 1000;
    }).sort((a, b) => a - b);
    const seconds = times[Math.floor(times.length / 2)] as number;
    const sealedBytes = sealed.reduce((total, bytes) => total + bytes.byteLength, 0);
    return {
      compression,
      sites,
      parameters: raw / 4,
      sealedBytesPerUpdate: Math.round(sealedBytes / sites),
      seconds,
      megabytesPerSecond: sealedBytes / 1e6 / seconds,
      float32MegabytesPerSecond: (raw * sites) / 1e6 / seconds,
    };
  });
}

export interface ScaleRound {
  readonly round: number;
  /** From round open (collecting) to the last site's acknowledged upload. */
  readonly uploadSeconds: number;
  /** Aggregation inside the hub (decrypt, decode, sum, strategy, store, sign). */
  readonly aggregationSeconds: number;
  /** From collecting to published. */
  readonly roundSeconds: number;
  readonly bytesUploaded: number;
}

export interface ScaleRun {
  readonly sites: number;
  readonly parameters: number;
  readonly compression: Compression;
  readonly float32ModelBytes: number;
  readonly enrollSeconds: number;
  readonly rounds: ScaleRound[];
  readonly aggregationMegabytesPerSecond: number;
}

export async function runHubScale(
  options: {
    sites?: number;
    rounds?: number;
    parameters?: number;
    compression?: Compression;
    log?: (line: string) => void;
    /** PostgreSQL and how many replicas (default: one hub on SQLite). */
    store?: ScaleStore;
  } = {},
): Promise<ScaleRun> {
  const sites = options.sites ?? 50;
  const rounds = options.rounds ?? 2;
  const compression = options.compression ?? 'float16';
  const log = options.log ?? (() => undefined);
  const layout = layoutWithParameters(options.parameters);
  const root = mkdtempSync(join(tmpdir(), 'radfed-hub-scale-'));
  const aggregation = new Map<number, { ms: number; bytes: number }>();
  try {
    const started = await startScaleHubs(root, options.store, (event) => {
      if (event.state === 'published')
        aggregation.set(event.round, { ms: event.aggregationMs ?? 0, bytes: event.updateBytes ?? 0 });
    });
    const hubs = started.hubs;
    const hub = hubs[0]!;
    try {
      const initial = randomWeights(layout, 1, 0.1);
      const task = await createTask(
        hub.ctx,
        {
          name: 'scale run',
          model: { name: 'reference-cnn' },
          input: { size: 64 },
          labels: ['negative', 'positive'],
          rounds,
          localEpochs: 1,
          batchSize: 32,
          optimizer: { name: 'adam', learningRate: 0.001 },
          strategy: { name: 'fedavg' },
          quorum: sites,
          roundDeadlineSeconds: 3600,
          compression,
          // The scale run sends plain sealed updates; secure aggregation (the default) has its own bench.
          privacy: { secureAggregation: false },
        },
        encodeWeights(initial),
      );
      const enrollStarted = performance.now();
      const clients = await Promise.all(
        Array.from({ length: sites }, async (_, i) => {
          // Sites are dealt to the replicas in turn, as a round-robin balancer would.
          const enrollment = await enrollSite({
            token: (await hubs[i % hubs.length]!.createToken()).token,
            siteName: `site-${String(i + 1).padStart(3, '0')}`,
          });
          const client = HubClient.fromEnrollment(enrollment);
          await client.joinTask(task.id);
          return client;
        }),
      );
      const enrollSeconds = (performance.now() - enrollStarted) / 1000;
      log(`${sites} sites enrolled and joined in ${enrollSeconds.toFixed(1)} s`);
      const figures: ScaleRound[] = [];
      for (let round = 1; round <= rounds; round += 1) {
        await hub.advance();
        const opened = performance.now();
        let bytesUploaded = 0;
        await Promise.all(
          clients.map(async (client, i) => {
            const view = await client.getRound(task.id);
            const { meta } = await client.downloadModel(task.id, view.baseVersion ?? 'latest');
            const sealed = client.seal({
              taskId: task.id,
              round: view.round ?? round,
              kind: 'delta',
              weights: randomWeights(layout, round * 1000 + i, 0.01),
              baseVersion: meta.version,
              examples: 100 + i,
              compression,
            });
            bytesUploaded += sealed.sealed.byteLength;
            await client.uploadSealed(task.id, sealed);
          }),
        );
        const uploaded = performance.now();
        while (!(await hub.ctx.store.models.model(task.id, round))) {
          await hub.advance();
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const figure = {
          round,
          uploadSeconds: (uploaded - opened) / 1000,
          aggregationSeconds: (aggregation.get(round)?.ms ?? 0) / 1000,
          roundSeconds: (performance.now() - opened) / 1000,
          bytesUploaded,
        };
        figures.push(figure);
        log(
          `round ${round}: uploads ${figure.uploadSeconds.toFixed(2)} s, aggregation ${figure.aggregationSeconds.toFixed(2)} s`,
        );
      }
      const totals = [...aggregation.values()].reduce(
        (t, a) => ({ ms: t.ms + a.ms, bytes: t.bytes + a.bytes }),
        { ms: 0, bytes: 0 },
      );
      return {
        sites,
        parameters: float32ByteLength(initial) / 4,
        compression,
        float32ModelBytes: float32ByteLength(initial),
        enrollSeconds,
        rounds: figures,
        aggregationMegabytesPerSecond: totals.ms > 0 ? totals.bytes / 1e6 / (totals.ms / 1000) : 0,
      };
    } finally {
      await started.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
