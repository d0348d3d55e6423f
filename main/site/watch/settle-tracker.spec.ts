import { describe, expect, it } from 'vitest';
import { isInProgressName, SettleTracker } from './settle-tracker.ts';

const file = (path: string, size: number, mtimeMs = 1000) => ({ path, size, mtimeMs });

describe('SettleTracker', () => {
  it('takes a file only once it has stayed the same for the settle time', () => {
    const tracker = new SettleTracker(2000);
    expect(tracker.observe([file('/w/a.dcm', 10)], 0)).toEqual([]); // first sight
    expect(tracker.observe([file('/w/a.dcm', 10)], 1000)).toEqual([]); // unchanged, not long enough
    expect(tracker.observe([file('/w/a.dcm', 10)], 2000)).toEqual(['/w/a.dcm']);
  });

  it('starts the wait again whenever the size or the time changes', () => {
    const tracker = new SettleTracker(2000);
    tracker.observe([file('/w/a.dcm', 10)], 0);
    expect(tracker.observe([file('/w/a.dcm', 20)], 2500)).toEqual([]); // grew
    expect(tracker.observe([file('/w/a.dcm', 20, 2400)], 4000)).toEqual([]); // touched
    expect(tracker.observe([file('/w/a.dcm', 20, 2400)], 5999)).toEqual([]);
    expect(tracker.observe([file('/w/a.dcm', 20, 2400)], 6000)).toEqual(['/w/a.dcm']);
  });

  it('forgets files that went away, so one dropped again under that name waits again', () => {
    const tracker = new SettleTracker(1000);
    tracker.observe([file('/w/a.dcm', 10)], 0);
    tracker.observe([], 500);
    expect(tracker.observe([file('/w/a.dcm', 10)], 1500)).toEqual([]);
    expect(tracker.unchanged(file('/w/a.dcm', 10))).toBe(true);
    expect(tracker.unchanged(file('/w/a.dcm', 11))).toBe(false);
  });

  it('leaves alone names of copies in progress and hidden files', () => {
    for (const name of ['scan.dcm.partial', 'scan.part', '.scan.dcm', 'x.crdownload', 'x.tmp', 'x~']) {
      expect(isInProgressName(name), name).toBe(true);
    }
    for (const name of ['scan.dcm', 'IM000001', 'partial.dcm'])
      expect(isInProgressName(name), name).toBe(false);
  });
});
