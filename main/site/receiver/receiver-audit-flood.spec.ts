// A sender refused again and again, each time under a new calling AE title: the audit log gets a
// bounded number of entries that still count every refusal (keyed on the sender's address, which
// it cannot choose).
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuditLog } from '../audit/index.ts';
import { ConnectionAudit, senderAddress, type Rejection } from './connection-audit.ts';
import { DicomReceiver } from './index.ts';
import { PduType, RawPeer } from './raw-peer.ts';
import { makeSite } from './test-peers.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  vi.useRealTimers();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function tempSite() {
  const { root, site } = makeSite('audit-flood');
  cleanups.push(() => {
    site.database.close();
    rmSync(root, { recursive: true, force: true });
  });
  return site;
}

const randomTitle = () => `X${randomBytes(6).toString('hex').toUpperCase()}`;

/** Refusals in the audit log: full entries count one each, summaries their `connections`. */
function refusalsCounted(audit: AuditLog) {
  const full = audit.list({ type: 'receiver.association-refused' });
  const summaries = audit.list({ type: 'receiver.connections-summarised' });
  const counted = full.length + summaries.reduce((sum, entry) => sum + Number(entry.detail.connections), 0);
  return { entries: full.length + summaries.length, counted, summaries };
}

describe('DICOM receiver: refused connections in the audit log', () => {
  it('500 refusals under random AE titles make a bounded number of entries that count them all', async () => {
    const site = tempSite();
    const receiver = new DicomReceiver({
      site,
      settings: { host: '127.0.0.1', port: 0, aeTitle: 'RADFED', allowedCallingAeTitles: ['PACS'] },
    });
    const { port } = await receiver.start();
    let rejected = 0;
    for (let round = 0; round < 50; round += 1) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, async () => {
          const peer = await RawPeer.connect(port);
          const answer = await peer.associate(randomTitle());
          peer.destroy();
          return answer;
        }),
      );
      rejected += answers.filter((answer) => answer === PduType.AssociateRj).length;
    }
    expect(rejected).toBe(500);
    await receiver.stop(); // writes the summary of the open window

    const audit = new AuditLog(site.database);
    const { entries, counted, summaries } = refusalsCounted(audit);
    expect(entries).toBe(2); // before the fix: 500
    expect(counted).toBe(500);
    expect(summaries[0]?.detail).toMatchObject({
      remoteAddress: '127.0.0.1',
      reason: 'calling-ae-not-allowed',
      connections: 499,
      differentCallingAeTitles: 499,
    });
    expect(summaries[0]?.detail.text).toMatch(
      /^499 more connections refused from 127\.0\.0\.1 since .+ \(calling AE title not on the allow-list\), with 499 different calling AE titles\.$/,
    );
  });

  it('writes the summary when the window closes, and starts a new window after it', () => {
    vi.useFakeTimers();
    const audit = new AuditLog(tempSite().database);
    const digest = new ConnectionAudit({ audit, windowMs: 60_000, onTrouble: () => undefined });
    const refusal = (remoteAddress: string, callingAeTitle: string): Rejection => ({
      kind: 'refused',
      reason: 'calling-ae-not-allowed',
      words: 'calling AE title not on the allow-list',
      remoteAddress,
      callingAeTitle,
      detail: { remoteAddress, callingAeTitle },
    });
    for (let i = 0; i < 30; i += 1) digest.note(refusal('10.0.0.7', `T${i % 3}`));
    digest.note(refusal('10.0.0.8', 'OTHER')); // another sender: its own entry
    expect(refusalsCounted(audit)).toMatchObject({ entries: 2, counted: 2 });
    vi.advanceTimersByTime(60_000);
    const after = refusalsCounted(audit);
    expect(after).toMatchObject({ entries: 3, counted: 31 });
    expect(after.summaries[0]?.detail).toMatchObject({ connections: 29, differentCallingAeTitles: 3 });
    digest.note(refusal('10.0.0.7', 'T0'));
    expect(refusalsCounted(audit)).toMatchObject({ entries: 4, counted: 32 });
  });

  it('counts an IPv6 sender by its /64, which one host can own whole', () => {
    expect(senderAddress('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(senderAddress('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(senderAddress('::1')).toBe('0:0:0:0::/64');
    expect(senderAddress('::ffff:192.0.2.9')).toBe('192.0.2.9');
    expect(senderAddress('192.0.2.9')).toBe('192.0.2.9');
  });
});
