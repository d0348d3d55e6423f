// Buffers that unverified bodies are read into, used again and again. A body whose signature fails
// would otherwise leave its buffer as garbage, and V8 lets tens of MiB of such garbage pile up before
// it collects: a junk-signature flood then grows the hub by far more than the bodies it holds at once.
// Read into a slab from here, a refused body leaves nothing behind; a verified one is copied out.

/** Smaller bodies get a buffer of their own (their garbage is small and collected with the rest). */
const SMALLEST_SLAB = 64 * 1024;

export class BodySlabs {
  private readonly free = new Map<number, Buffer[]>();
  private freeBytes = 0;

  /** `keepBytes`: how many bytes of idle slabs to keep for later (beyond that they are dropped). */
  constructor(private readonly keepBytes: number) {}

  /** A buffer of at least `bytes`, to be handed back with `give` once nothing refers to it. */
  take(bytes: number): Buffer {
    if (bytes < SMALLEST_SLAB) return Buffer.allocUnsafe(bytes);
    const size = slabSize(bytes);
    const slab = this.free.get(size)?.pop();
    if (slab) {
      this.freeBytes -= size;
      return slab;
    }
    // Not resident until written: a slab for a chunked body costs only what arrives.
    return Buffer.allocUnsafeSlow(size);
  }

  give(slab: Buffer): void {
    const size = slab.length;
    if (size < SMALLEST_SLAB || size !== slabSize(size) || this.freeBytes + size > this.keepBytes) return;
    const list = this.free.get(size) ?? [];
    list.push(slab);
    this.free.set(size, list);
    this.freeBytes += size;
  }
}

/** The next power of two: a handful of sizes, so slabs fit the next body of about the same size. */
function slabSize(bytes: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(bytes, SMALLEST_SLAB)));
}
