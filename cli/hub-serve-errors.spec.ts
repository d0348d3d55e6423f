// `radfed hub serve` where it cannot listen, through the real entry: a port another program holds.
// It said "the system refused an operation (EADDRINUSE). Check the folders and files the command was
// given", which sent the coordinator to the wrong place.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { initHub } from '../hub/setup/index.ts';
import { runRadfed } from './test-cli.ts';

const root = mkdtempSync(join(tmpdir(), 'radfed-serve-errors-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('says the port is in use and how to choose another, and exits 1', async () => {
  const dir = join(root, 'hub');
  await initHub({ dir, name: 'busy port' });
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const { port } = holder.address() as AddressInfo;
  try {
    const run = await runRadfed('hub', 'serve', '--dir', dir, '--port', String(port));
    expect(run.status).toBe(1);
    expect(run.err).toBe(
      'radfed: The port is already in use (another hub, or another program, listens on it): stop that one, or choose another port with --port. (EADDRINUSE)\n',
    );
  } finally {
    holder.close();
  }
}, 60_000);
