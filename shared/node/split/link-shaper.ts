// A shaping layer in the transport, for benchmarks on a machine where `tc netem` is not available (its
// kernel has no netem queueing discipline): each message waits as it would on a link of `rateBitsPerSecond`
// with `rttMs` round trip, one queue per direction (a message waits for the ones before it to be on
// the wire), plus half the round trip to cross. Applied at the site's end to both directions.
export interface LinkShaper {
  /** Resolves when `bytes` sent now would have reached the hub. */
  up(bytes: number): Promise<void>;
  /** Resolves when `bytes` the hub just sent would have reached the site. */
  down(bytes: number): Promise<void>;
  /** Seconds a message of `bytes` spends on this link with nothing queued before it. */
  transferSeconds(bytes: number): number;
}

export function shapedLink(options: { rateBitsPerSecond: number; rttMs: number }): LinkShaper {
  const busyUntil = { up: 0, down: 0 };
  const transferSeconds = (bytes: number) => (bytes * 8) / options.rateBitsPerSecond + options.rttMs / 2000;
  const cross = (direction: 'up' | 'down', bytes: number) => {
    const now = performance.now();
    const start = Math.max(now, busyUntil[direction]);
    busyUntil[direction] = start + ((bytes * 8) / options.rateBitsPerSecond) * 1000;
    const arrival = busyUntil[direction] + options.rttMs / 2;
    return new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, arrival - now)));
  };
  return { up: (bytes) => cross('up', bytes), down: (bytes) => cross('down', bytes), transferSeconds };
}
