// A stranger needs nothing to send bodies to the routes anyone may call (enrollment and its check),
// and those bodies share one room (4 MiB). The routes take what an enrollment needs (16 KiB), so a
// body declared larger is refused at once: before, four slow 1 MiB bodies held the whole room and a
// hospital's enrollment was turned away (503 busy) for as long as the stranger kept sending.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubPaths } from '../../shared/federation/index.ts';
import { enrollTestSite, makeTestHub, type TestHub } from '../testing/test-hub.ts';
import { sendRaw } from './testing/raw-sender.ts';

const MiB = 1024 * 1024;
let test: TestHub;
let caPem: string;

beforeAll(async () => {
  // A request waits 2 s for room instead of 30, so an enrollment turned away is seen quickly.
  test = await makeTestHub({ bodies: { budget: { waitMs: 2000 }, timeouts: { idleMs: 5000 } } });
  caPem = (await enrollTestSite(test.hub, 'First')).enrollment.caPem;
});
afterAll(() => test.cleanup());

const slowBody = (path: string, bytes: number) =>
  sendRaw({
    url: test.hub.url,
    caPem,
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body: Buffer.alloc(bytes, 0x20),
    stopAfter: 1024,
    localAddress: '127.0.0.2',
  });

describe('slow bodies from a stranger on the routes anyone may call', () => {
  it('are refused when declared larger than an enrollment, and enrollment goes on', async () => {
    const answers = Promise.all(
      Array.from({ length: 4 }, (_, n) =>
        slowBody(n % 2 === 0 ? hubPaths.enroll : hubPaths.enrollCheck, MiB),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 500)); // the four are in before the hospital
    const { enrollment } = await enrollTestSite(test.hub, 'Second');
    expect(enrollment.siteName).toBe('Second');
    expect((await answers).map((answer) => answer.status)).toEqual([413, 413, 413, 413]);
  });
});
