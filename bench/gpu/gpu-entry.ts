// Entry of the GPU bundle (bench/gpu/run.sh): runs the WebGPU checks and prints one JSON document.
import { runGpuCheck } from '../../main/site/train/index.ts';

const size = Number(process.env.RADFED_GPU_SIZE ?? 128);
const result = await runGpuCheck({ size, batch: 32, log: (line) => process.stderr.write(`${line}\n`) });
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
process.exit(0);
