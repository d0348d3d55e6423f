// The one serial queue (ingest lanes, the agent's ingests, the federation loop's lane, the hub's
// chunk writes per upload): order, isolation of failures, and keys that run side by side.
import { describe, expect, it } from 'vitest';
import { KeyedSerialQueues, SerialQueue } from './serial-queue.ts';

/** A task that records when it starts and ends, and finishes when `release` is called. */
function gatedTask(log: string[], name: string) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const task = async (): Promise<string> => {
    log.push(`start ${name}`);
    await gate;
    log.push(`end ${name}`);
    return name;
  };
  return { task, release };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('SerialQueue', () => {
  it('runs one task at a time, in the order queued, and gives each caller its own result', async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    const a = gatedTask(log, 'a');
    const b = gatedTask(log, 'b');
    const ra = queue.run(a.task);
    const rb = queue.run(b.task);
    await settle();
    expect(log).toEqual(['start a']);
    expect(queue.size).toBe(2);
    b.release(); // b may not start, let alone end, before a has
    await settle();
    expect(log).toEqual(['start a']);
    a.release();
    expect(await ra).toBe('a');
    expect(await rb).toBe('b');
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b']);
    expect(queue.size).toBe(0);
  });

  it('hands a failure to its own caller and runs the next task anyway (thrown or rejected)', async () => {
    const queue = new SerialQueue();
    const thrown = queue.run(() => {
      throw new Error('first');
    });
    const rejected = queue.run(() => Promise.reject(new Error('second')));
    const after = queue.run(() => 'third');
    await expect(thrown).rejects.toThrow('first');
    await expect(rejected).rejects.toThrow('second');
    expect(await after).toBe('third');
  });
});

describe('KeyedSerialQueues', () => {
  it('serialises tasks of one key, runs other keys beside them, and forgets idle keys', async () => {
    const queues = new KeyedSerialQueues<string>();
    const log: string[] = [];
    const a1 = gatedTask(log, 'a1');
    const a2 = gatedTask(log, 'a2');
    const b1 = gatedTask(log, 'b1');
    const runs = [queues.run('a', a1.task), queues.run('a', a2.task), queues.run('b', b1.task)];
    await settle();
    expect(log).toEqual(['start a1', 'start b1']);
    expect(queues.activeKeys).toBe(2);
    b1.release();
    a1.release();
    a2.release();
    expect(await Promise.all(runs)).toEqual(['a1', 'a2', 'b1']);
    expect(log.indexOf('start a2')).toBeGreaterThan(log.indexOf('end a1'));
    await settle();
    expect(queues.activeKeys).toBe(0);
  });

  it('keeps a key whose later task was queued while an earlier one failed', async () => {
    const queues = new KeyedSerialQueues<string>();
    const failed = queues.run('u', () => Promise.reject(new Error('chunk 1')));
    const next = queues.run('u', () => 'chunk 2');
    await expect(failed).rejects.toThrow('chunk 1');
    expect(await next).toBe('chunk 2');
    await settle();
    expect(queues.activeKeys).toBe(0);
  });
});
