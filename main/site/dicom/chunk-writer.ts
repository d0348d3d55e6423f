// Collects encoded bytes as a list of chunks: headers and small values are copied into a shared
// scratch buffer, large values (pixel data above all) are passed on as the caller's own views, so
// writing a file never copies its pixel data (callers hand the list to fs.writev / writeFile).

// The scratch buffer starts small and doubles: a header is a few kilobytes, and buffers under 4 KiB
// come from Node's shared pool, while a 64 KiB one per file is fresh memory the collector must reclaim.
const FIRST_SCRATCH_SIZE = 2 * 1024;
const MAX_SCRATCH_SIZE = 64 * 1024;
/** Values at least this long go out as their own chunk rather than being copied. */
const BIG_VALUE = 512;

export class ChunkWriter {
  private readonly chunks: Buffer[] = [];
  private buf = Buffer.allocUnsafe(FIRST_SCRATCH_SIZE);
  private start = 0;
  private pos = 0;
  private total = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.total;
  }

  u16(v: number, le: boolean): void {
    this.reserve(2);
    if (le) this.buf.writeUInt16LE(v, this.pos);
    else this.buf.writeUInt16BE(v, this.pos);
    this.advance(2);
  }

  u32(v: number, le: boolean): void {
    this.reserve(4);
    if (le) this.buf.writeUInt32LE(v >>> 0, this.pos);
    else this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.advance(4);
  }

  /** Two ASCII characters (a VR). */
  ascii2(s: string): void {
    this.reserve(2);
    this.buf[this.pos] = s.charCodeAt(0);
    this.buf[this.pos + 1] = s.charCodeAt(1);
    this.advance(2);
  }

  byte(v: number): void {
    this.reserve(1);
    this.buf[this.pos] = v;
    this.advance(1);
  }

  /** A value: copied when small, passed on as a view of the same memory when large. */
  bytes(v: Uint8Array): void {
    if (v.length >= BIG_VALUE) {
      this.flush();
      this.chunks.push(Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength));
      this.total += v.length;
      return;
    }
    this.reserve(v.length);
    this.buf.set(v, this.pos);
    this.advance(v.length);
  }

  finish(): Buffer[] {
    this.flush();
    return this.chunks;
  }

  private advance(n: number): void {
    this.pos += n;
    this.total += n;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    this.buf = Buffer.allocUnsafe(Math.max(Math.min(this.buf.length * 2, MAX_SCRATCH_SIZE), n));
    this.start = 0;
    this.pos = 0;
  }

  private flush(): void {
    if (this.pos > this.start) this.chunks.push(this.buf.subarray(this.start, this.pos));
    this.start = this.pos;
  }
}
