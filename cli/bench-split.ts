// `radfed bench split`: what a split-learning step costs over the real transport. A hub in a temporary
// folder on loopback serves one trunk; one enrolled site runs steps over its signed WebSocket session,
// first straight over loopback, then through the transport's shaping layer set to a slower link
// (default 100 Mbit/s, 20 ms round trip: `tc netem` needs a kernel queueing discipline these machines
// lack). Per step: bytes each way, the latency (p50, p95), the site's and the hub's compute, and the
// goal's ratio: p95 latency over (the link's transfer time for the step's four messages + the median
// compute of both segments), at most 1.5.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { createEnrollmentToken, initHub, startHub } from '../hub/index.ts';
import type { SplitTrunkEngine } from '../shared/federation/split/index.ts';
import { enrollSite } from '../shared/node/federation/index.ts';
import { writeFileAtomicallyAsync } from '../shared/node/index.ts';
import { shapedLink, SplitConnection, type LinkShaper } from '../shared/node/split/index.ts';
import { createModel, selectBackend, tf } from '../main/site/train/index.ts';
import {
  adamOptimizer,
  HubTrunk,
  SplitSessionRunner,
  SplitSite,
  type SplitExchange,
} from '../main/site/train/split/index.ts';
import { parsePositiveInt } from './arguments.ts';

export interface SplitBenchOptions {
  readonly model: string;
  readonly size: number;
  readonly batch: number;
  readonly steps: number;
  readonly warmUp: number;
  readonly rateMbit: number;
  readonly rttMs: number;
  /** The hub writes the trunk's checkpoint after every this many steps (1: each step survives a kill). */
  readonly checkpointEvery: number;
}

export interface SplitLinkFigures {
  readonly link: string;
  readonly upBytesPerStep: number;
  readonly downBytesPerStep: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly siteComputeMs: number;
  readonly hubComputeMs: number;
  /** The link's time for the step's four messages (serialisation + half a round trip each). */
  readonly transferMs: number;
  /** p95 latency / (transfer + median site compute + median hub compute): the goal is at most 1.5. */
  readonly ratio: number;
  /**
   * The p95 over steps of each step's latency / (transfer + that step's compute): the transport's own
   * overhead, apart from how the machine's load moves the compute from step to step.
   */
  readonly ratioPerStep: number;
}

export interface SplitBenchResult {
  readonly backend: string;
  readonly links: SplitLinkFigures[];
  /** The trunk's checkpoint after a step: its size and the median time to write it (fsync, rename). */
  readonly checkpointBytes: number;
  readonly checkpointWriteMs: number;
}

export async function benchmarkSplitSession(options: SplitBenchOptions): Promise<SplitBenchResult> {
  const backend = await selectBackend({ choice: 'auto' });
  const root = mkdtempSync(join(tmpdir(), 'radfed-bench-split-'));
  const dir = join(root, 'hub');
  await initHub({ dir, name: 'split bench' });
  const hub = await startHub({
    dir,
    port: 0,
    logger: false,
    split: { checkpointEverySteps: options.checkpointEvery },
  });
  try {
    const token = await createEnrollmentToken(hub.ctx, { hubUrl: hub.url, expiresInMs: 3600_000 });
    const enrollment = await enrollSite({ token: token.token, siteName: 'bench' });
    const config = { inputSize: options.size, channels: 1, numClasses: 2, seed: 1 };
    const hubTime = { ms: 0 };
    const trunk = timedEngine(
      new HubTrunk(createModel(options.model, config), { optimizer: adamOptimizer(0.001) }),
      hubTime,
    );
    await hub.split.serveTrunk('bench', trunk);
    const links: SplitLinkFigures[] = [];
    const shaped = shapedLink({ rateBitsPerSecond: options.rateMbit * 1e6, rttMs: options.rttMs });
    for (const [link, shaper] of [
      ['loopback', null],
      [`${options.rateMbit} Mbit/s, ${options.rttMs} ms RTT (shaping layer)`, shaped],
    ] as const) {
      links.push(await measureLink(link, shaper, options, enrollment, config, hubTime));
    }
    const writes: number[] = [];
    let checkpointBytes = 0;
    for (let i = 0; i < 5; i++) {
      const bytes = await trunk.checkpoint();
      checkpointBytes = bytes.length;
      const start = performance.now();
      await writeFileAtomicallyAsync(join(root, 'probe.ckpt'), bytes);
      writes.push(performance.now() - start);
    }
    return {
      backend: backend.device,
      links,
      checkpointBytes,
      checkpointWriteMs: round(percentile(writes, 0.5)),
    };
  } finally {
    await hub.close();
    rmSync(root, { recursive: true, force: true });
  }
}

async function measureLink(
  link: string,
  shaper: LinkShaper | null,
  options: SplitBenchOptions,
  enrollment: Awaited<ReturnType<typeof enrollSite>>,
  config: { inputSize: number; channels: number; numClasses: number; seed: number },
  hubTime: { ms: number },
): Promise<SplitLinkFigures> {
  const session = randomBytes(16).toString('hex');
  const model = createModel(options.model, config);
  const site = new SplitSite(model, {
    session,
    optimizers: { bottom: adamOptimizer(0.001), head: adamOptimizer(0.001) },
  });
  const exchangeTime = { ms: 0 };
  let connection: SplitConnection | null = null;
  const runner = new SplitSessionRunner({
    site,
    connect: async () => {
      connection = await SplitConnection.open({
        hubUrl: enrollment.hubUrl,
        caPem: enrollment.caPem,
        siteId: enrollment.siteId,
        signingPrivateKeyPem: enrollment.signingPrivateKeyPem,
        taskId: 'bench',
        session,
        ...(shaper ? { shaper } : {}),
      });
      return timedExchange(connection, exchangeTime);
    },
  });
  const images = tf.randomNormal(
    [options.batch, options.size, options.size, 1],
    0,
    1,
    'float32',
    1,
  ) as tf.Tensor4D;
  const labels = Int32Array.from({ length: options.batch }, (_, i) => i % 2);
  const latencies: number[] = [];
  const siteCompute: number[] = [];
  const hubCompute: number[] = [];
  let up = 0;
  let down = 0;
  for (let step = 0; step < options.warmUp + options.steps; step++) {
    exchangeTime.ms = 0;
    hubTime.ms = 0;
    const sentBefore = connection ? (connection as SplitConnection).bytesSent : 0;
    const receivedBefore = connection ? (connection as SplitConnection).bytesReceived : 0;
    const outcome = await runner.step(step, step, images, labels);
    if (step < options.warmUp) continue;
    latencies.push(outcome.milliseconds);
    siteCompute.push(outcome.milliseconds - exchangeTime.ms);
    hubCompute.push(hubTime.ms);
    up = connection!.bytesSent - sentBefore;
    down = connection!.bytesReceived - receivedBefore;
  }
  runner.close();
  images.dispose();
  site.dispose();
  model.dispose();
  // Each of the step's four messages crosses once: up (activations, gradient), down (output, gradient).
  const transferMs = shaper
    ? (up * 8 * 1000) / (options.rateMbit * 1e6) +
      (down * 8 * 1000) / (options.rateMbit * 1e6) +
      2 * options.rttMs
    : 0;
  const compute = percentile(siteCompute, 0.5) + percentile(hubCompute, 0.5);
  const perStep = latencies.map((ms, i) => ms / (transferMs + siteCompute[i]! + hubCompute[i]!));
  const p95 = percentile(latencies, 0.95);
  return {
    link,
    upBytesPerStep: up,
    downBytesPerStep: down,
    p50Ms: round(percentile(latencies, 0.5)),
    p95Ms: round(p95),
    siteComputeMs: round(percentile(siteCompute, 0.5)),
    hubComputeMs: round(percentile(hubCompute, 0.5)),
    transferMs: round(transferMs),
    ratio: Math.round((p95 / (transferMs + compute)) * 100) / 100,
    ratioPerStep: Math.round(percentile(perStep, 0.95) * 100) / 100,
  };
}

/** The trunk with the time of each call added to `total` (the hub's compute and checkpoint). */
function timedEngine(engine: HubTrunk, total: { ms: number }): SplitTrunkEngine {
  const timed =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const start = performance.now();
      try {
        return await call(...args);
      } finally {
        total.ms += performance.now() - start;
      }
    };
  return {
    forwardTrunk: timed((frame: Uint8Array) => engine.forwardTrunk(frame)),
    backwardTrunk: timed((frame: Uint8Array) => engine.backwardTrunk(frame)),
    evaluateTrunk: timed((frame: Uint8Array) => engine.evaluateTrunk(frame)),
    checkpoint: timed(() => engine.checkpoint()),
    abandon: (session) => engine.abandon(session),
    finishedStep: (session) => engine.finishedStep(session),
    restore: (bytes) => engine.restore(bytes),
    get appliedSteps() {
      return engine.appliedSteps;
    },
    incomingValuesPerImage: engine.incomingValuesPerImage,
  };
}

function timedExchange(connection: SplitConnection, total: { ms: number }): SplitExchange {
  return {
    close: () => connection.close(),
    exchange: async (frame) => {
      const start = performance.now();
      try {
        return await connection.exchange(frame);
      } finally {
        total.ms += performance.now() - start;
      }
    },
  };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

export function formatSplitBench(options: SplitBenchOptions, result: SplitBenchResult): string {
  const lines = [
    `split learning, ${options.model} at ${options.size}×${options.size}, batch ${options.batch}, float16 frames, ` +
      `${options.steps} steps after ${options.warmUp} warm-up, backend ${result.backend}, ` +
      `trunk checkpointed every ${options.checkpointEvery === 1 ? 'step' : `${options.checkpointEvery} steps`}`,
    'link | up B/step | down B/step | p50 ms | p95 ms | site compute ms | hub compute ms | transfer ms | p95 / (transfer + compute) | p95 of each step / (transfer + its compute)',
  ];
  for (const l of result.links) {
    lines.push(
      `${l.link} | ${l.upBytesPerStep} | ${l.downBytesPerStep} | ${l.p50Ms} | ${l.p95Ms} | ${l.siteComputeMs} | ` +
        `${l.hubComputeMs} | ${l.transferMs} | ${l.ratio} | ${l.ratioPerStep} (goal ≤ 1.5)`,
    );
  }
  lines.push(
    `the trunk's checkpoint: ${result.checkpointBytes} bytes, written in ${result.checkpointWriteMs} ms (median; ` +
      'outside "hub compute", inside the latency)',
  );
  return `${lines.join('\n')}\n`;
}

export function registerBenchSplitCommand(bench: Command): void {
  bench
    .command('split')
    .summary('split learning: bytes and latency per step over loopback and a shaped 100 Mbit/s, 20 ms link')
    .option('--model <name>', 'model architecture', 'resnet-small')
    .option('--size <n>', 'image size in pixels', (v) => parsePositiveInt(v, '--size'), 128)
    .option('--batch <n>', 'images per step', (v) => parsePositiveInt(v, '--batch'), 16)
    .option('--steps <n>', 'measured steps per link', (v) => parsePositiveInt(v, '--steps'), 20)
    .option('--warm-up <n>', 'steps before measuring', (v) => parsePositiveInt(v, '--warm-up'), 3)
    .option('--rate-mbit <n>', 'shaped link rate, Mbit/s', (v) => parsePositiveInt(v, '--rate-mbit'), 100)
    .option('--rtt-ms <n>', 'shaped link round trip, ms', (v) => parsePositiveInt(v, '--rtt-ms'), 20)
    .option(
      '--checkpoint-every <n>',
      'the hub checkpoints the trunk after every n steps (1: every answered step survives a kill)',
      (v) => parsePositiveInt(v, '--checkpoint-every'),
      1,
    )
    .option('--json', 'print JSON')
    .action(async (flags: SplitBenchOptions & { json?: boolean }) => {
      const result = await benchmarkSplitSession(flags);
      process.stdout.write(
        flags.json ? `${JSON.stringify(result, null, 2)}\n` : formatSplitBench(flags, result),
      );
    });
}
