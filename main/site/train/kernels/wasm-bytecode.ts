// Just enough of the WebAssembly binary format to write our few SIMD kernels by hand: there is no
// WebAssembly compiler on these machines (no clang, no emscripten), and the kernels are a few loops.
// A module imports the wasm backend's own memory, so a kernel reads and writes tensors in place.
// Encoding: WebAssembly Core Specification 2.0, section 5 (Binary Format), and the SIMD proposal.

/** Instructions used by our kernels, as their opcode bytes. */
export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  else: [0x05],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  get: (local: number) => [0x20, ...uleb(local)],
  set: (local: number) => [0x21, ...uleb(local)],
  tee: (local: number) => [0x22, ...uleb(local)],
  i32: (value: number) => [0x41, ...sleb(value)],
  i32Eqz: [0x45],
  i32Eq: [0x46],
  i32LtU: [0x49],
  i32GeU: [0x4f],
  i32LtS: [0x48],
  i32GeS: [0x4e],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32DivU: [0x6e],
  i32RemU: [0x70],
  i32Shl: [0x74],
  i32Load: (offset = 0) => [0x28, 0x02, ...uleb(offset)],
  f32Load: (offset = 0) => [0x2a, 0x02, ...uleb(offset)],
  f32Store: (offset = 0) => [0x38, 0x02, ...uleb(offset)],
  f32Const0: [0x43, 0, 0, 0, 0],
  v128Load: (offset = 0) => [0xfd, 0x00, 0x04, ...uleb(offset)],
  v128Store: (offset = 0) => [0xfd, 0x0b, 0x04, ...uleb(offset)],
  /** v128.const with all bits zero (0.0 in every float lane). */
  v128Const0: [0xfd, 0x0c, ...Array<number>(16).fill(0)],
  i32x4Splat: [0xfd, 0x11],
  i32x4Eq: [0xfd, 0x37],
  v128And: [0xfd, 0x4e],
  v128AndNot: [0xfd, 0x4f],
  v128Bitselect: [0xfd, 0x52],
  f32x4Gt: [0xfd, 0x44],
  /** Loads one float and repeats it in the four lanes (a broadcast operand of a product). */
  v128Load32Splat: (offset = 0) => [0xfd, 0x09, 0x02, ...uleb(offset)],
  f32x4Add: [0xfd, 0xe4, 0x01],
  f32x4Sub: [0xfd, 0xe5, 0x01],
  f32x4Mul: [0xfd, 0xe6, 0x01],
  f32x4Max: [0xfd, 0xe9, 0x01],
  f32x4Neg: [0xfd, 0xe1, 0x01],
  /** v128.const with the same float in the four lanes. */
  f32x4Const: (value: number) => [0xfd, 0x0c, ...Array<number[]>(4).fill(float32Bytes(value)).flat()],
  /**
   * a·b + c from the stack (a, b, c), fused or not as the machine has it: relaxed SIMD, which Node 20's
   * V8 validates only with --experimental-wasm-relaxed-simd (wasm-relaxed-simd.ts).
   */
  f32x4RelaxedMadd: [0xfd, 0x85, 0x02],
  call: (index: number) => [0x10, ...uleb(index)],
  memoryCopy: [0xfc, 0x0a, 0x00, 0x00],
  memoryFill: [0xfc, 0x0b, 0x00],
} as const;

function float32Bytes(value: number): number[] {
  return [...new Uint8Array(new Float32Array([value]).buffer)];
}

const I32 = 0x7f;
export const V128 = 0x7b;

export function uleb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

export function sleb(value: number): number[] {
  const bytes: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    const done = (value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}

/** A piece of code: one instruction's bytes. */
export type Code = readonly number[];

export interface WasmFunction {
  name: string;
  /** Parameters, all i32 (byte addresses and counts). */
  params: number;
  /** Extra locals after the parameters, by type. */
  locals: { i32?: number; v128?: number };
  body: Code[];
}

const vector = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];
const utf8 = (text: string): number[] => {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
};

/**
 * A module of functions that return nothing, importing `env.memory` as a shared memory (the threaded
 * wasm backend's) or a plain one, and exporting each function by name.
 */
export function assembleModule(functions: readonly WasmFunction[], sharedMemory: boolean): Uint8Array {
  const types = functions.map((f) => [0x60, ...uleb(f.params), ...Array<number>(f.params).fill(I32), 0]);
  // Limits: shared memories must state a maximum; 65536 pages is the whole 32-bit space.
  const limits = sharedMemory ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  const imports = vector([[...utf8('env'), ...utf8('memory'), 0x02, ...limits]]);
  const bodies = functions.map((f) => {
    const declared: number[][] = [];
    if (f.locals.i32) declared.push([...uleb(f.locals.i32), I32]);
    if (f.locals.v128) declared.push([...uleb(f.locals.v128), V128]);
    const code = [...vector(declared), ...f.body.flat(), ...op.end];
    return [...uleb(code.length), ...code];
  });
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector(types)),
    ...section(2, imports),
    ...section(3, vector(functions.map((_, i) => uleb(i)))),
    ...section(7, vector(functions.map((f, i) => [...utf8(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vector(bodies)),
  ]);
}
