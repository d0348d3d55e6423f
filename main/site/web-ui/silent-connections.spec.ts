// Another local user's connection to the site's web UI that never sends a request is closed (it was
// kept for good, so connections opened one after another could use up the agent's file descriptors),
// while the page's own requests are served and their keep-alive connection is not cut by this timer.
import { connect, type Socket } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SiteAgentPort } from '../console/index.ts';
import { startSiteWebUi, type SiteWebUi } from './index.ts';

let workDir: string;
let ui: SiteWebUi;
let url: URL;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'radfed-web-ui-silent-'));
  const rendererDir = join(workDir, 'renderer');
  mkdirSync(rendererDir, { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>RadFed</title>');
  // No channel is called here: the agent is a stub.
  ui = await startSiteWebUi({ agent: {} as SiteAgentPort, rendererDir, firstRequestMs: 300 });
  url = new URL(ui.url);
});
afterAll(async () => {
  await ui.close();
  rmSync(workDir, { recursive: true, force: true });
});

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Whether the server closes the connection before `withinMs` (generous: it waits 300 ms). */
function closedWithin(socket: Socket, withinMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), withinMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe('a connection to the site web UI', () => {
  it('is closed when it sends no request', async () => {
    const socket = await open();
    socket.on('error', () => undefined);
    expect(await closedWithin(socket, 10_000)).toBe(true);
  });

  it('is served when it sends its request, and kept open past the timer afterwards', async () => {
    const socket = await open();
    const answer: Buffer[] = [];
    socket.on('data', (part: Buffer) => answer.push(part));
    socket.write(`GET /?token=${url.searchParams.get('token') ?? ''} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
    expect(await closedWithin(socket, 1000)).toBe(false); // past the 300 ms a silent one gets
    expect(Buffer.concat(answer).toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);
    socket.destroy();
  });
});
