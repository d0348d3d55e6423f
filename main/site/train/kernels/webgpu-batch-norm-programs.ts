// The WGSL of batch normalisation's four kernels on WebGPU (webgpu-batch-norm.ts), channels last:
// row r, channel c is element r·C + c. Any C: a workgroup covers a tile of `tile` channels (C rounded
// up to a power of two, at most 64) by 256/tile lanes of rows, so neighbouring threads read
// neighbouring channels of one row (coalesced) whatever C is.
//
// Reductions (the per-channel moments and gradient sums over N·H·W rows): each lane sums at most 64
// rows serially in float32, then the lanes' sums are added as a balanced tree in workgroup memory, and
// the chunks' partial sums (two stages) are added the same way. The error then grows with log2 of the
// rows plus a 64-term serial sum, as the WebAssembly kernels' float32 blocks of 128 rows do before
// their float64 sum across blocks; the spec measures both against float64. Moments are taken about
// the first row's value (x[c]), as on WebAssembly, so a mean far from zero costs no precision.
import { WORKGROUP_SIZE as WORKGROUP } from './webgpu-command-stream.ts';

/** One program: its bindings are generated from these names, in this order (WebgpuCommandStream's). */
export interface WgslProgram {
  /** Unique per distinct source (the pipeline cache's key). */
  key: string;
  outputs: readonly string[];
  inputs: readonly string[];
  /** Scalar uniforms, 4 bytes each, in the order their values are given. */
  uniforms: readonly (readonly [name: string, type: 'u32' | 'f32'])[];
  /** Everything after the bindings: workgroup variables and `@compute … fn main(…)`. */
  body: string;
}

/** The full source of `program`: bindings (outputs, inputs, then the uniforms) and its body. */
export function wgslSource(program: WgslProgram): string {
  const lines: string[] = [];
  const fields = program.uniforms.map(([name, type]) => `${name} : ${type},`).join(' ');
  lines.push(`struct Uniforms { ${fields} };`);
  let binding = 0;
  for (const name of program.outputs)
    lines.push(`@group(0) @binding(${binding++}) var<storage, read_write> ${name} : array<f32>;`);
  for (const name of program.inputs)
    lines.push(`@group(0) @binding(${binding++}) var<storage, read> ${name} : array<f32>;`);
  lines.push(`@group(0) @binding(${binding}) var<uniform> uniforms : Uniforms;`);
  return `${lines.join('\n')}\n${program.body}`;
}

/**
 * Which sums: the moments of x, or the gradient's Σ dy and Σ dy·(x − μ). The folded kinds add the
 * per-channel arithmetic batch-norm-op.ts would otherwise do in tfjs's small kernels (a dispatch
 * each) to the finish: momentsScale also gives 1/√(σ² + ε) and γ/√(σ² + ε); gradCoefficients gives
 * dβ, dγ and the input gradient's A, B, D (dx = A·dy + B·(x − μ) + D).
 */
export type SumsKind = 'moments' | 'gradSums' | 'momentsScale' | 'gradCoefficients';

/** Threads per workgroup in every program here (WebgpuCommandStream dispatches in these). */
export { WORKGROUP };

/** The inputs each kind reads, in binding order (the kernels pass tensors in this order). */
export const SUMS_INPUTS: Record<SumsKind, readonly string[]> = {
  moments: ['x'],
  gradSums: ['dy', 'x', 'mean'],
  momentsScale: ['x', 'gamma'],
  gradCoefficients: ['dy', 'x', 'mean', 'gamma', 'invStd'],
};

/** What each kind writes, one value per channel each, in binding order. */
export const SUMS_OUTPUTS: Record<SumsKind, readonly string[]> = {
  moments: ['first', 'second'],
  gradSums: ['first', 'second'],
  momentsScale: ['first', 'second', 'invStd', 'scale'],
  // A, B and D in one [3, C] buffer: a shader stage binds at most 8 storage buffers (WebGPU's default).
  gradCoefficients: ['dBeta', 'dGamma', 'coefficients'],
};

/** Rows of C values an output holds (1 unless named here). */
export const OUTPUT_ROWS: Readonly<Record<string, number>> = { coefficients: 3 };

/** The inputs the finish reads besides the sums (the second stage binds them after the partials). */
export const FINISH_INPUTS: Record<SumsKind, readonly string[]> = {
  moments: ['x'],
  gradSums: [],
  momentsScale: ['x', 'gamma'],
  gradCoefficients: ['gamma', 'invStd'],
};

/** Uniforms after the reduction's own: ε for the folded moments. */
const FINISH_UNIFORMS: Record<SumsKind, readonly (readonly [string, 'u32' | 'f32'])[]> = {
  moments: [],
  gradSums: [],
  momentsScale: [['epsilon', 'f32']],
  gradCoefficients: [],
};

const MOMENTS_FINISH = `
    let n = f32(uniforms.rows);
    let offset = a / n;
    let variance = max(0.0, b / n - offset * offset);
    first[c] = x[c] + offset;
    second[c] = variance;`;

/** The statements that take a's and b's sums' per-channel values (`c` is the channel). */
const FINISH: Record<SumsKind, string> = {
  // mean = shift + Σ(x − shift)/n; variance = Σ(x − shift)²/n − (Σ(x − shift)/n)², never below 0.
  moments: MOMENTS_FINISH,
  gradSums: `
    first[c] = a;
    second[c] = b;`,
  momentsScale: `${MOMENTS_FINISH}
    let inverse = inverseSqrt(variance + uniforms.epsilon);
    invStd[c] = inverse;
    scale[c] = gamma[c] * inverse;`,
  // models/batch-norm.ts's gradient: dγ = Σ dy·(x − μ)/σ, A = γ/σ, B = −A/σ²·Σ dy·(x − μ)/n, D = −A·Σ dy/n.
  gradCoefficients: `
    let n = f32(uniforms.rows);
    let inverse = invStd[c];
    let coefficient = gamma[c] * inverse;
    dBeta[c] = a;
    dGamma[c] = b * inverse;
    coefficients[c] = coefficient;
    coefficients[C + c] = -(coefficient * inverse * inverse) * (b / n);
    coefficients[2u * C + c] = -coefficient * (a / n);`,
};

/** The reduction each kind makes. */
const SUMS_OF: Record<SumsKind, 'moments' | 'gradSums'> = {
  moments: 'moments',
  gradSums: 'gradSums',
  momentsScale: 'moments',
  gradCoefficients: 'gradSums',
};

/** The loop over this lane's rows, adding each row's terms to a and b. */
const ACCUMULATE: Record<'moments' | 'gradSums', string> = {
  moments: `
    let shift = x[c];
    for (var r = start + local.y; r < end; r = r + LANES) {
      let d = x[r * C + c] - shift;
      a = a + d;
      b = b + d * d;
    }`,
  gradSums: `
    let centre = mean[c];
    for (var r = start + local.y; r < end; r = r + LANES) {
      let i = r * C + c;
      let g = dy[i];
      a = a + g;
      b = b + g * (x[i] - centre);
    }`,
};

/** Sums a and b of every lane of the workgroup into lane 0 of each channel, as a balanced tree. */
function treeSum(tile: number, lanes: number, gridChunks: string, accumulate: string, write: string): string {
  return `
const TILE : u32 = ${tile}u;
const LANES : u32 = ${lanes}u;
var<workgroup> sumsA : array<f32, ${tile * lanes}>;
var<workgroup> sumsB : array<f32, ${tile * lanes}>;

@compute @workgroup_size(${tile}, ${lanes}, 1)
fn main(
  @builtin(local_invocation_id) local : vec3<u32>,
  @builtin(workgroup_id) group : vec3<u32>,
  @builtin(num_workgroups) groups : vec3<u32>,
) {
  // The command stream spreads workgroups over x and y: this one's place in the [chunk][tile] grid.
  // The whole workgroup leaves together (a uniform condition), so the barriers below stay valid.
  let id = group.y * groups.x + group.x;
  if (id >= uniforms.tiles * ${gridChunks}) { return; }
  let chunk = id / uniforms.tiles;
  let C = uniforms.channels;
  let c = (id % uniforms.tiles) * TILE + local.x;
  var a = 0.0;
  var b = 0.0;
  if (c < C) {${accumulate}
  }
  let slot = local.y * TILE + local.x;
  sumsA[slot] = a;
  sumsB[slot] = b;
  workgroupBarrier();
  for (var span = LANES / 2u; span > 0u; span = span / 2u) {
    if (local.y < span) {
      sumsA[slot] = sumsA[slot] + sumsA[slot + span * TILE];
      sumsB[slot] = sumsB[slot] + sumsB[slot + span * TILE];
    }
    workgroupBarrier();
  }
  if (local.y == 0u && c < C) {
    a = sumsA[slot];
    b = sumsB[slot];${write}
  }
}`;
}

/**
 * The first stage over the rows of one chunk for one channel tile (a workgroup each):
 * `final` writes the finished values (one chunk: a single dispatch), otherwise the chunk's two
 * partial sums into partials[chunk][2][C].
 */
export function rowSumsProgram(kind: SumsKind, tile: number, final: boolean): WgslProgram {
  const accumulate = `
    let start = chunk * uniforms.rowsPerChunk;
    let end = min(start + uniforms.rowsPerChunk, uniforms.rows);${ACCUMULATE[SUMS_OF[kind]]}`;
  const write = final
    ? FINISH[kind]
    : `
    partials[(2u * chunk) * C + c] = a;
    partials[(2u * chunk + 1u) * C + c] = b;`;
  return {
    key: `radfedBatchNormRowSums_${kind}_${tile}_${final ? 'final' : 'partial'}`,
    outputs: final ? SUMS_OUTPUTS[kind] : ['partials'],
    // Only what the shader reads: a pipeline's layout leaves out the bindings it does not use.
    inputs: SUMS_INPUTS[final ? kind : SUMS_OF[kind]],
    uniforms: [
      ['rows', 'u32'],
      ['channels', 'u32'],
      ['rowsPerChunk', 'u32'],
      ['tiles', 'u32'],
      ['chunks', 'u32'],
      ...(final ? FINISH_UNIFORMS[kind] : []),
    ],
    body: treeSum(tile, WORKGROUP / tile, 'uniforms.chunks', accumulate, write),
  };
}

/** The second stage: adds the chunks' partial sums and finishes (moments read x again for the shift). */
export function chunkSumsProgram(kind: SumsKind, tile: number): WgslProgram {
  const accumulate = `
    for (var k = local.y; k < uniforms.chunks; k = k + LANES) {
      a = a + partials[(2u * k) * C + c];
      b = b + partials[(2u * k + 1u) * C + c];
    }`;
  return {
    key: `radfedBatchNormChunkSums_${kind}_${tile}`,
    outputs: SUMS_OUTPUTS[kind],
    inputs: ['partials', ...FINISH_INPUTS[kind]],
    uniforms: [
      ['rows', 'u32'],
      ['channels', 'u32'],
      ['chunks', 'u32'],
      ['tiles', 'u32'],
      ...FINISH_UNIFORMS[kind],
    ],
    body: treeSum(tile, WORKGROUP / tile, '1u', accumulate, FINISH[kind]),
  };
}

/** One thread per element over a 2-D grid of workgroups (a dimension holds at most 65,535). */
function perElement(statement: string): string {
  return `
@compute @workgroup_size(${WORKGROUP}, 1, 1)
fn main(@builtin(global_invocation_id) id : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
  let i = id.y * groups.x * ${WORKGROUP}u + id.x;
  if (i >= uniforms.size) { return; }
  let c = i % uniforms.channels;
  ${statement}
}`;
}

/** y = (x − centre)·scale + shift per channel: the forward output. */
export const SCALE_SHIFT_PROGRAM: WgslProgram = {
  key: 'radfedChannelScaleShift',
  outputs: ['y'],
  inputs: ['x', 'centre', 'scale', 'shift'],
  uniforms: [
    ['size', 'u32'],
    ['channels', 'u32'],
  ],
  body: perElement('y[i] = (x[i] - centre[c]) * scale[c] + shift[c];'),
};

/** out = u·a + (v − centre)·b + offset per channel: the input gradient dx = A·dy + B·(x − μ) + D. */
export const CHANNEL_MIX_PROGRAM: WgslProgram = {
  key: 'radfedChannelMix',
  outputs: ['out'],
  inputs: ['u', 'v', 'a', 'b', 'centre', 'offset'],
  uniforms: [
    ['size', 'u32'],
    ['channels', 'u32'],
  ],
  body: perElement('out[i] = u[i] * a[c] + (v[i] - centre[c]) * b[c] + offset[c];'),
};

/** CHANNEL_MIX with A, B and D packed as BN_GRAD_COEFFICIENTS writes them ([3, C]). */
export const CHANNEL_MIX_PACKED_PROGRAM: WgslProgram = {
  key: 'radfedChannelMixPacked',
  outputs: ['out'],
  inputs: ['u', 'v', 'coefficients', 'centre'],
  uniforms: [
    ['size', 'u32'],
    ['channels', 'u32'],
  ],
  body: perElement(`let C = uniforms.channels;
  out[i] = u[i] * coefficients[c] + (v[i] - centre[c]) * coefficients[C + c] + coefficients[2u * C + c];`),
};
