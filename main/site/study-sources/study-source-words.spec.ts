// What the dashboard's Incoming studies and the terminal say about the receiver, in words.
import { describe, expect, it } from 'vitest';
import { StoreStatus } from '../receiver/index.ts';
import { describeReceiverEvent } from './study-source-words.ts';

const settings = { host: '0.0.0.0', port: 11112, aeTitle: 'RADFED', allowedCallingAeTitles: ['PACS'] };

describe('receiver events in words', () => {
  it('says why an instance was refused without its DICOM status code in hex', () => {
    const line = describeReceiverEvent(
      {
        type: 'instance-answered',
        callingAeTitle: 'PACS',
        verdict: { status: StoreStatus.OutOfResources, reason: 'the disk is full' },
      },
      settings,
    );
    expect(line).toBe('Refused an instance from "PACS": the disk is full.');
    expect(line).not.toMatch(/0x[0-9A-F]{4}/i);
  });
});
