// `radfed bench train` and `radfed bench train-memory`: training throughput of the reference CNN,
// side by side with PyTorch on the same machine, and the data path's memory over a large cohort.
import os from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { parsePositiveInt } from './arguments.ts';
import {
  BACKEND_CHOICES,
  CHECKPOINTING_SETTINGS,
  benchmarkLoaderMemory,
  benchmarkReferenceTraining,
  cpuSimd,
  MODEL_ARCHITECTURES,
  runTorchReference,
  OPTIMIZER_NAMES,
  TORCH_REFERENCE_MODELS,
  TrainError,
  type BackendChoice,
  type CheckpointingSetting,
  type OptimizerName,
} from '../main/site/train/index.ts';

function parseModel(value: string): string {
  if (!Object.keys(MODEL_ARCHITECTURES).includes(value)) {
    throw new InvalidArgumentError(
      `--model takes one of ${Object.keys(MODEL_ARCHITECTURES).join(', ')}, not "${value}".`,
    );
  }
  return value;
}

function parseOptimizer(value: string): OptimizerName {
  if (!(OPTIMIZER_NAMES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`--optimizer takes one of ${OPTIMIZER_NAMES.join(', ')}, not "${value}".`);
  }
  return value as OptimizerName;
}

function parseCheckpointing(value: string): CheckpointingSetting {
  if (!(CHECKPOINTING_SETTINGS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(
      `--checkpointing takes auto (recompute activations only when the batch would not fit the memory), ` +
        `on or off, not "${value}".`,
    );
  }
  return value as CheckpointingSetting;
}

/** Said when --compare-torch meets an optimiser the PyTorch references cannot switch to. */
const TORCH_ADAM_ONLY =
  'The PyTorch references (../shared/bench/torch_reference.py, bench/*_reference.py) train with Adam only: no PyTorch comparison for sgd-momentum.';

function parseBackend(value: string): BackendChoice {
  if (!(BACKEND_CHOICES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`--backend takes one of ${BACKEND_CHOICES.join(', ')}, not "${value}".`);
  }
  return value as BackendChoice;
}

interface TrainFlags {
  backend: BackendChoice;
  model: string;
  optimizer: OptimizerName;
  checkpointing: CheckpointingSetting;
  size: number;
  batch: number;
  batches: number;
  epochs: number;
  threads: number;
  compareTorch?: boolean;
  torchScript?: string;
  python?: string;
  profile?: boolean;
  repeat: number;
  json?: boolean;
}

export function registerBenchTrainCommand(bench: Command): void {
  bench
    .command('train')
    .summary(
      'training throughput of the reference CNN, ResNet-18 or DenseNet-121 (vs PyTorch with --compare-torch)',
    )
    .description(
      'Trains the reference CNN on random data exactly as ../shared/bench/torch_reference.py does\n' +
        '(same model, Adam 1e-3, float32) and prints images per second: the median of the epochs\n' +
        'after the first. With --compare-torch, runs the PyTorch reference in the same run and prints\n' +
        'the ratio. --model resnet-18 or densenet-121 trains that model instead (PyTorch:\n' +
        'bench/resnet18_reference.py, bench/densenet121_reference.py);\n' +
        "a batch that would not fit the backend's memory is kept by recomputing activations in the\n" +
        'backward pass (gradient checkpointing), or else made smaller, and the output says so.',
    )
    .option(
      '--model <name>',
      `model: ${Object.keys(MODEL_ARCHITECTURES).join(', ')}`,
      parseModel,
      'reference-cnn',
    )
    .option(
      '--optimizer <name>',
      `optimizer: adam (1e-3, as the PyTorch references) or sgd-momentum (momentum 0.9, 1e-3)`,
      parseOptimizer,
      'adam',
    )
    .option('--backend <name>', `backend: ${BACKEND_CHOICES.join(', ')}`, parseBackend, 'auto')
    .option(
      '--checkpointing <when>',
      'recompute activations in the backward pass: auto (when the batch would not fit), on, off',
      parseCheckpointing,
      'auto',
    )
    .option('--size <n>', 'image size in pixels', (v) => parsePositiveInt(v, '--size'), 64)
    .option('--batch <n>', 'batch size', (v) => parsePositiveInt(v, '--batch'), 32)
    .option('--batches <n>', 'batches per epoch', (v) => parsePositiveInt(v, '--batches'), 8)
    .option('--epochs <n>', 'epochs (the first warms up)', (v) => parsePositiveInt(v, '--epochs'), 3)
    .option(
      '--threads <n>',
      'CPU threads',
      (v) => parsePositiveInt(v, '--threads'),
      os.availableParallelism(),
    )
    .option('--compare-torch', 'also run the PyTorch reference and print the ratio')
    .option(
      '--torch-script <path>',
      'the PyTorch reference script (default ../shared/bench/torch_reference.py)',
    )
    .option('--python <path>', 'the Python that has torch (default /usr/bin/python3)')
    .option(
      '--profile',
      'also time each kernel over one step, and the forward, backward and optimizer phases',
    )
    .option(
      '--repeat <n>',
      'run both N times, alternating, and keep the best of each (for a busy machine)',
      (v) => parsePositiveInt(v, '--repeat'),
      1,
    )
    .option('--json', 'print JSON')
    .action(async (flags: TrainFlags) => {
      if (flags.compareTorch && !(TORCH_REFERENCE_MODELS as readonly string[]).includes(flags.model)) {
        throw new TrainError(
          'invalid-option',
          `--compare-torch has a PyTorch reference for ${TORCH_REFERENCE_MODELS.join(', ')} only, not ${flags.model}.`,
        );
      }
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const torchNote = flags.compareTorch && flags.optimizer !== 'adam' ? TORCH_ADAM_ONLY : undefined;
      if (torchNote) log(torchNote);
      let tfjs: Awaited<ReturnType<typeof benchmarkReferenceTraining>> | undefined;
      let torch: Awaited<ReturnType<typeof runTorchReference>> | undefined;
      const runs: { tfjs: number; torch?: number }[] = [];
      for (let i = 0; i < flags.repeat; i++) {
        const ours = await benchmarkReferenceTraining({ ...flags, log });
        const theirs =
          flags.compareTorch && !torchNote
            ? await runTorchReference({
                model: flags.model,
                size: flags.size,
                batch: ours.batch, // the batch that fitted the memory, so both train the same
                batches: flags.batches,
                epochs: flags.epochs,
                threads: flags.threads,
                script: flags.torchScript,
                python: flags.python,
              })
            : undefined;
        runs.push({ tfjs: ours.imagesPerSecond, torch: theirs?.images_per_s });
        if (!tfjs || ours.imagesPerSecond > tfjs.imagesPerSecond) tfjs = ours;
        if (theirs && (!torch || theirs.images_per_s > torch.images_per_s)) torch = theirs;
      }
      if (!tfjs) return;
      const ratio = torch ? Math.round((tfjs.imagesPerSecond / torch.images_per_s) * 100) / 100 : undefined;
      const { report, ...figures } = tfjs;
      const result = {
        machine: `${os.cpus()[0]?.model ?? 'CPU'}, ${os.availableParallelism()} CPUs, ${cpuSimd().name}`,
        date: new Date().toISOString(),
        tfjs: figures,
        notUsed: report.notUsed,
        torch,
        ...(torchNote ? { torchNote } : {}),
        ratio,
        runs,
      };
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const name = flags.model === 'reference-cnn' ? 'Reference CNN' : flags.model;
      // One decimal below 10 MB: a small image's activations round to "0 MB" otherwise.
      const mb = (bytes: number) => {
        const value = bytes / 2 ** 20;
        return `${value < 10 ? value.toFixed(1) : Math.round(value)} MB`;
      };
      const lines = [
        `${name}, ${flags.size}×${flags.size}, batch ${tfjs.batch}, ${flags.batches} batches × ${flags.epochs} epochs`,
        `Training memory: ${mb(tfjs.memory.perImageBytes)} per image + ${mb(tfjs.memory.fixedBytes)} fixed; ` +
          `a batch of ${tfjs.batch}: ${mb(tfjs.memory.batchBytes)}` +
          (tfjs.memory.checkpointing ? ' (activations recomputed in the backward pass)' : ''),
        ...(tfjs.memory.message ? [tfjs.memory.message] : []),
        `RadFed (tfjs, ${tfjs.optimizer}) on ${tfjs.device}: ${tfjs.imagesPerSecond} images/s`,
        ...(torchNote ? [torchNote] : []),
        `CPU SIMD: ${cpuSimd().name} natively; WebAssembly SIMD is 128-bit`,
      ];
      if (torch) {
        lines.push(`PyTorch (${torch.device}, ${torch.threads} threads): ${torch.images_per_s} images/s`);
        lines.push(`Ratio RadFed / PyTorch: ${ratio}`);
      }
      if (flags.repeat > 1) {
        lines.push(`Best of ${flags.repeat} runs each; all runs (RadFed / PyTorch images/s):`);
        lines.push(`  ${runs.map((r) => `${r.tfjs} / ${r.torch ?? '-'}`).join(', ')}`);
      }
      if (tfjs.phases) {
        const { forwardMs, backwardMs, optimizerMs } = tfjs.phases;
        lines.push(
          `One step (median of 5): forward ${forwardMs} ms, backward ${backwardMs} ms, optimizer ${optimizerMs} ms`,
        );
      }
      for (const k of tfjs.kernels?.slice(0, 12) ?? [])
        lines.push(`  ${k.kernel}: ${k.milliseconds} ms (${k.calls})`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  bench
    .command('train-memory')
    .summary('peak memory of the training data path over a large cohort')
    .description(
      'Generates a synthetic cohort of CT slices, then streams it twice through the batch loader\n' +
        '(decode, prepare, cache; then from the cache) and samples the RSS as the images go by.',
    )
    .option('--images <n>', 'images in the cohort', (v) => parsePositiveInt(v, '--images'), 10_000)
    .option('--size <n>', 'image size in pixels', (v) => parsePositiveInt(v, '--size'), 256)
    .option('--work-dir <folder>', 'keep the cohort and cache here (default: a temporary folder, removed)')
    .option('--json', 'print JSON')
    .action(async (flags: { images: number; size: number; workDir?: string; json?: boolean }) => {
      const result = await benchmarkLoaderMemory({
        ...flags,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const lines = [`Loader memory, ${result.images} images of ${result.size}×${result.size}:`];
      lines.push(
        `  RSS before: ${result.rssBeforeMb} MB; peak over the run (getrusage): ${result.maxRssMb} MB`,
      );
      result.epochs.forEach((e, i) => {
        const samples = e.samples.map((s) => `${s.images}: ${s.rssMb}`).join(', ');
        lines.push(
          `  epoch ${i + 1}: ${e.imagesPerSecond.toFixed(0)} images/s, peak ${e.peakRssMb} MB (images: MB ${samples})`,
        );
      });
      lines.push(`  prepared-image cache: ${result.cacheMb} MB`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
