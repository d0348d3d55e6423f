// A task's CKKS key travels from the site that made it to the others through the hub, sealed per
// recipient and signed by its maker: a recipient opens it and decrypts what another recipient
// encrypted; a site that is not a recipient cannot; the hub's copy holds no key material; a box the
// hub swaps in fails the signature; a key belongs to one task.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { publicKeyOf, sealForHub } from '../federation/index.ts';
import {
  createTaskSecretKey,
  openTaskKey,
  sealTaskKey,
  SiteCipher,
  summationParameters,
  type TaskKeyMessage,
  type TaskSecretKey,
} from './index.ts';

interface TestSite {
  readonly siteId: string;
  readonly exchange: KeyObject;
  readonly exchangePublicKey: string;
  readonly signing: KeyObject;
  readonly signingPublic: KeyObject;
}

function makeSite(siteId: string): TestSite {
  const exchange = generateKeyPairSync('x25519');
  const signing = generateKeyPairSync('ed25519');
  return {
    siteId,
    exchange: exchange.privateKey,
    exchangePublicKey: publicKeyOf(exchange.privateKey),
    signing: signing.privateKey,
    signingPublic: signing.publicKey,
  };
}

const parameters = summationParameters({ maxSites: 3, valueBound: 1 });
const [maker, second, third, outsider] = ['site-a', 'site-b', 'site-c', 'site-d'].map(makeSite) as [
  TestSite,
  TestSite,
  TestSite,
  TestSite,
];
let key: TaskSecretKey;
let message: TaskKeyMessage;

const openAs = (site: TestSite, value: unknown = message, taskId = 'task-1') =>
  openTaskKey(value, {
    taskId,
    siteId: site.siteId,
    exchangePrivateKey: site.exchange,
    senderSigningPublicKey: maker.signingPublic,
  });

beforeAll(async () => {
  key = await createTaskSecretKey(parameters);
  message = sealTaskKey({
    taskId: 'task-1',
    parameters,
    key,
    fromSiteId: maker.siteId,
    signingPrivateKey: maker.signing,
    recipients: [maker, second, third],
  });
});

describe("a task's CKKS key, shared among its sites", () => {
  it('opens at each recipient to the same key, which decrypts what another recipient encrypted', async () => {
    const atSecond = openAs(second);
    const atThird = openAs(third);
    expect(Buffer.from(atSecond.key.secretKey).equals(Buffer.from(key.secretKey))).toBe(true);
    expect(atThird.key.keyId.equals(key.keyId)).toBe(true);
    const encrypting = await SiteCipher.withKey(atSecond.parameters, atSecond.key);
    const decrypting = await SiteCipher.withKey(atThird.parameters, atThird.key);
    try {
      const sent = Float32Array.from([0.25, -0.5, 0.125]);
      const received = decrypting.decrypt(encrypting.encrypt(sent)).values;
      sent.forEach((value, i) => expect(received[i]).toBeCloseTo(value, 6));
    } finally {
      encrypting.dispose();
      decrypting.dispose();
    }
  });

  it('does not open at a site that is not a recipient, even with a recipient’s box', () => {
    expect(() => openAs(outsider)).toThrow(/not among the task key's recipients/);
    const stolenBox: TaskKeyMessage = {
      ...message,
      boxes: message.boxes.map((box) =>
        box.siteId === second.siteId ? { ...box, siteId: outsider.siteId } : box,
      ),
    };
    // Relabelling a box breaks the maker's signature before any box is tried.
    expect(() => openAs(outsider, stolenBox)).toThrow(/not signed by the site it names/);
    // A box honestly signed but sealed to another site's exchange key does not open with this one's.
    const misaddressed = sealTaskKey({
      taskId: 'task-1',
      parameters,
      key,
      fromSiteId: maker.siteId,
      signingPrivateKey: maker.signing,
      recipients: [{ siteId: outsider.siteId, exchangePublicKey: second.exchangePublicKey }],
    });
    expect(() => openAs(outsider, misaddressed)).toThrow(/could not be opened with this site's exchange key/);
  });

  it('gives the hub no key material: only ids, public parameters and sealed boxes', () => {
    const wire = JSON.stringify(message);
    const secret = Buffer.from(key.secretKey);
    // No 24-byte window of the key appears in any encoding the hub could read.
    for (let start = 0; start + 24 <= secret.byteLength; start += 997) {
      const window = secret.subarray(start, start + 24);
      for (const encoding of ['base64', 'base64url', 'hex'] as const) {
        expect(wire.includes(window.toString(encoding))).toBe(false);
      }
      expect(Buffer.from(wire).includes(window)).toBe(false);
    }
    expect(Object.keys(message).sort()).toEqual([
      'boxes',
      'format',
      'fromSiteId',
      'keyId',
      'parameters',
      'signature',
      'taskId',
    ]);
    for (const box of message.boxes) {
      expect(Buffer.from(box.sealed, 'base64url').subarray(0, 4).toString()).toBe('RFS1');
    }
  });

  it('refuses a box the hub sealed with a key of its own (the signature covers every box)', () => {
    const hubsKey = Buffer.alloc(key.secretKey.byteLength, 7);
    const forged: TaskKeyMessage = {
      ...message,
      boxes: message.boxes.map((box) =>
        box.siteId === second.siteId
          ? {
              ...box,
              sealed: Buffer.from(sealForHub(hubsKey, second.exchangePublicKey, 'anything')).toString(
                'base64url',
              ),
            }
          : box,
      ),
    };
    expect(() => openAs(second, forged)).toThrow(/not signed by the site it names/);
  });

  it('belongs to one task: refused for another, and a new task gets a new key', async () => {
    expect(() => openAs(second, message, 'task-2')).toThrow(/for another task/);
    const next = await createTaskSecretKey(parameters);
    expect(next.keyId.equals(key.keyId)).toBe(false);
    expect(Buffer.from(next.secretKey).equals(Buffer.from(key.secretKey))).toBe(false);
  });

  it('refuses what is not a key message, and a recipient list with a site twice', () => {
    expect(() => openAs(second, { format: 'radfed-ckks-task-key-v1' })).toThrow(
      /not a RadFed task-key message/,
    );
    expect(() =>
      sealTaskKey({
        taskId: 'task-1',
        parameters,
        key,
        fromSiteId: maker.siteId,
        signingPrivateKey: maker.signing,
        recipients: [second, second],
      }),
    ).toThrow(/each named once/);
  });
});
