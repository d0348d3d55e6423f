// Hands out input indices to workers in small batches from contiguous ranges: each worker starts on
// its own slice of the (sorted) input list and, when that is done, takes the back half of the slice
// with the most left. Neighbouring inputs are mostly slices of one series, written into one output
// folder: kept on one worker, two threads seldom create files in the same folder at once (the
// folder's lock would serialise them), and every input is still handed out exactly once.

interface Range {
  next: number;
  end: number;
}

export class WorkRanges {
  private readonly ranges: Range[];

  constructor(total: number, workers: number) {
    this.ranges = Array.from({ length: workers }, (_, w) => ({
      next: Math.floor((total * w) / workers),
      end: Math.floor((total * (w + 1)) / workers),
    }));
  }

  /** Up to `size` indices for `worker`, in order; empty when every input has been handed out. */
  take(worker: number, size: number): number[] {
    const own = this.ranges[worker];
    if (!own) throw new RangeError(`no worker ${worker}`);
    if (own.next >= own.end) this.stealInto(own);
    const batch: number[] = [];
    while (batch.length < size && own.next < own.end) batch.push(own.next++);
    return batch;
  }

  private stealInto(own: Range): void {
    let victim: Range | undefined;
    for (const r of this.ranges) if (!victim || r.end - r.next > victim.end - victim.next) victim = r;
    if (!victim || victim.end - victim.next <= 0) return;
    const left = victim.end - victim.next;
    // The victim keeps the front half (it is working there); a range of one goes whole.
    const middle = left === 1 ? victim.next : victim.next + Math.ceil(left / 2);
    own.next = middle;
    own.end = victim.end;
    victim.end = middle;
  }
}
