// The in-process wake-ups behind HubEvents: a publish wakes the listeners of its channel only, and a
// listener that unsubscribed (a long-poll that answered) is neither called nor counted.
import { describe, expect, it } from 'vitest';
import { InProcessHubEvents, taskChannel } from './hub-events.ts';

describe('in-process hub events', () => {
  it('wakes the subscribers of one channel, until they unsubscribe', () => {
    const events = new InProcessHubEvents();
    const woken: string[] = [];
    const stopA = events.subscribe(taskChannel('task_a'), () => woken.push('a'));
    events.subscribe(taskChannel('task_b'), () => woken.push('b'));
    expect(events.subscribers(taskChannel('task_a'))).toBe(1);

    events.publish(taskChannel('task_a'));
    expect(woken).toEqual(['a']);

    stopA();
    events.publish(taskChannel('task_a'));
    expect(woken).toEqual(['a']);
    expect(events.subscribers(taskChannel('task_a'))).toBe(0);
    expect(events.subscribers(taskChannel('task_b'))).toBe(1);
  });

  it('holds any number of waiting requests on one channel', () => {
    const events = new InProcessHubEvents();
    let woken = 0;
    for (let i = 0; i < 500; i += 1) events.subscribe(taskChannel('task_a'), () => (woken += 1));
    events.publish(taskChannel('task_a'));
    expect(woken).toBe(500);
  });
});
