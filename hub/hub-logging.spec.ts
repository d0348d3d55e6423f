// The hub's logs say what happened (method, URL, status, round changes) and never carry a payload:
// no request or response body, no enrollment secret, no signature, no key.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWeights } from '../shared/federation/index.ts';
import { enrollSite, HubClient, parseEnrollmentToken } from '../shared/node/federation/index.ts';
import { createTask } from './tasks.ts';
import {
  enrollTestSite,
  makeTestHub,
  sendDelta,
  testTask,
  testWeights,
  waitFor,
  type TestHub,
} from './testing/test-hub.ts';

let test: TestHub;
const lines: string[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  test = await makeTestHub({ logger: pino({ level: 'info' }, sink) });
});
afterAll(() => test.cleanup());

describe('hub logs', () => {
  it('record requests and round changes without bodies, secrets or signatures', async () => {
    const { token } = await test.hub.createToken();
    const secret = parseEnrollmentToken(token).secret;
    const enrollment = await enrollSite({ token, siteName: 'Quiet' });
    const quiet = HubClient.fromEnrollment(enrollment);
    const loud = (await enrollTestSite(test.hub, 'Loud')).client;
    const taskId = (
      await createTask(test.hub.ctx, testTask({ quorum: 2, rounds: 1 }), encodeWeights(testWeights()))
    ).id;
    await quiet.joinTask(taskId);
    await loud.joinTask(taskId);
    await waitFor(
      test.hub,
      async () => (await test.hub.ctx.store.tasks.round(taskId, 1))?.state === 'collecting',
      'collecting',
    );
    const sent = await sendDelta(quiet, taskId, 0.123456, 17);
    await sendDelta(loud, taskId, 0.5, 3);
    await waitFor(
      test.hub,
      async () => (await test.hub.ctx.store.tasks.task(taskId))?.state === 'completed',
      'completed',
    );
    const log = lines.join('');
    expect(log).toMatch(/"url":"\/v1\/enroll"/);
    expect(log).toMatch(/"state":"published"/);
    for (const forbidden of [
      secret,
      enrollment.hub.exchangePublicKey,
      enrollment.signingPrivateKeyPem.split('\n')[1]!,
      'x-radfed-signature',
      'envelopeSignature',
      'tokenSecret',
      sent.upload.sha256,
      '0.123456',
    ]) {
      expect(log).not.toContain(forbidden);
    }
  });
});
