// How a hub refuses a split session, for the hub's split specs: as the site's client reads it (a
// SplitConnectionError with its code and retry advice), and as it goes on the wire (a signed upgrade
// over a raw WebSocket: its status, Retry-After, or how an opened session is closed).
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { WebSocket } from 'ws';
import { splitSessionPath } from '../../../shared/federation/split/index.ts';
import { loadPrivateKey, signRequest, type SiteEnrollment } from '../../../shared/node/federation/index.ts';
import { SplitConnection, SplitConnectionError } from '../../../shared/node/split/index.ts';

export const newSplitSession = () => randomBytes(16).toString('hex');

/**
 * The refusal of a session the site opens for `taskId` at its hub (or at `hubUrl`: one replica's own
 * port, past the balancer); fails the test if the session opens.
 */
export async function splitSessionRefusal(
  site: SiteEnrollment,
  taskId: string,
  options: { hubUrl?: string; session?: string } = {},
): Promise<SplitConnectionError> {
  const error: unknown = await SplitConnection.open({
    hubUrl: options.hubUrl ?? site.hubUrl,
    caPem: site.caPem,
    siteId: site.siteId,
    signingPrivateKeyPem: site.signingPrivateKeyPem,
    taskId,
    session: options.session ?? newSplitSession(),
  }).then(
    (connection) => {
      connection.close();
      return new Error('the session opened');
    },
    (refused: unknown) => refused,
  );
  expect(error).toBeInstanceOf(SplitConnectionError);
  return error as SplitConnectionError;
}

/** The headers that sign `site`'s upgrade to the session at `path` (a new nonce each call). */
export function signedUpgradeHeaders(site: SiteEnrollment, path: string): Record<string, string> {
  return signRequest({
    method: 'GET',
    path,
    siteId: site.siteId,
    privateKey: loadPrivateKey(site.signingPrivateKeyPem),
  });
}

/** A session's signed upgrade as a raw WebSocket, with no client reading the hub's answer. */
export function rawSplitSocket(site: SiteEnrollment, taskId: string, session = newSplitSession()): WebSocket {
  const path = splitSessionPath(taskId, session);
  return new WebSocket(new URL(path, site.hubUrl.replace(/^https/, 'wss')), {
    ca: site.caPem,
    headers: signedUpgradeHeaders(site, path),
  });
}

/**
 * A WebSocket upgrade to `path` at `site`'s hub with exactly these headers (signed or not): the HTTP
 * status and body it is refused with, or 101 and no body when the session opened (it is closed again).
 */
export function upgradeAnswer(
  site: SiteEnrollment,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const socket = new WebSocket(new URL(path, site.hubUrl.replace(/^https/, 'wss')), {
    ca: site.caPem,
    headers,
  });
  return new Promise((resolve) => {
    socket.once('open', () => {
      socket.terminate();
      resolve({ status: 101, body: '' });
    });
    socket.once('unexpected-response', (_request, response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') });
        socket.terminate();
      });
    });
    socket.once('error', () => undefined);
  });
}
