// Times one call made two ways (a switch on, then off), alternating call by call in one process, so
// that both see the same machine: medians of wall and CPU time (the process's user + system time,
// every thread's). For the kernels' A/B benchmarks (filter-grad-ab.ts, winograd-ab.ts).

export interface AbTimes {
  wall: number[];
  cpu: number[];
}

export const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;

export const figure = (t: AbTimes) => `${median(t.wall).toFixed(2)} ms (CPU ${median(t.cpu).toFixed(2)})`;

/**
 * Calls `run` `calls` + 2 times with the environment switch `name` unset (on) and set to '0' (off),
 * alternating; the first two of each are warm-up and not kept.
 */
export function alternate(name: string, calls: number, run: () => void): { on: AbTimes; off: AbTimes } {
  const times = { on: { wall: [], cpu: [] } as AbTimes, off: { wall: [], cpu: [] } as AbTimes };
  for (let i = 0; i < calls + 2; i++) {
    for (const on of [true, false]) {
      if (on) delete process.env[name];
      else process.env[name] = '0';
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      run();
      const [wall, cpu] = [performance.now() - t0, process.cpuUsage(c0)];
      if (i < 2) continue;
      times[on ? 'on' : 'off'].wall.push(wall);
      times[on ? 'on' : 'off'].cpu.push((cpu.user + cpu.system) / 1000);
    }
  }
  delete process.env[name];
  return times;
}
