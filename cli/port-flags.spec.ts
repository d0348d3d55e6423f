// Every --port, through the real entry: a number past 65535 reached Node's listen and stopped
// `radfed hub serve` with "an unexpected error (ERR_SOCKET_BAD_PORT) … a bug in RadFed"; hub init wrote
// it into hub.json. Each command now refuses it with the range, before anything is made or opened.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { initHub } from '../hub/index.ts';
import { runRadfed } from './test-cli.ts';

let root: string;
let hub: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'radfed-port-'));
  hub = join(root, 'hub');
  await initHub({ dir: hub, name: 'port hub' });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const anyFree = '--port takes a TCP port from 1 to 65535 (0: any free port), not "99999".';

it('hub serve --port 99999: refused with the range, not as a bug', async () => {
  const run = await runRadfed('hub', 'serve', '--dir', hub, '--port', '99999');
  expect(run.status).toBe(2); // a usage error, as for every wrong flag value
  expect(run.err).toContain(anyFree);
  expect(run.err).not.toContain('bug');
});

it('hub init --port 99999: refused before the folder is made', async () => {
  const dir = join(root, 'new-hub');
  const run = await runRadfed('hub', 'init', '--dir', dir, '--port', '99999');
  expect(run.status).toBe(2); // a usage error, as for every wrong flag value
  expect(run.err).toContain(anyFree);
  expect(existsSync(dir)).toBe(false);
});

it('site ui and site receive --port 99999: refused with the range', async () => {
  const ui = await runRadfed('site', 'ui', '--dir', join(root, 'site'), '--port', '99999');
  expect(ui.err).toContain(anyFree);
  const receive = await runRadfed('site', 'receive', '--dir', join(root, 'site'), '--port', '0');
  expect(receive.err).toContain('--port takes a TCP port from 1 to 65535, not "0".');
});
