// What a careless operator types, through the real entry: each gets one line in plain words and a
// non-zero exit. `hub task create` printed JSON.parse's quote of a file of other bytes; `hub token
// --url notaurl` made a token that failed only at the site; `site approve` on a folder that is no
// site said "not enrolled", sending people to enroll it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { initHub } from '../hub/index.ts';
import { runRadfed } from './test-cli.ts';

let root: string;
let hub: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'radfed-careless-'));
  hub = join(root, 'hub');
  await initHub({ dir: hub, name: 'careless hub' });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('hub task create with a file that is not JSON: says so, without printing its bytes', async () => {
  const file = join(root, 'scan.json');
  writeFileSync(file, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0xfe, 0x41, 0x42, 0x43, 0x7b]));
  const run = await runRadfed('hub', 'task', 'create', '--dir', hub, '--file', file);
  expect(run.status).toBe(1);
  expect(run.err).toBe(
    `radfed: ${file} is not valid JSON: it goes wrong at line 1, column 1. Check that it is the task's JSON file.\n`,
  );
  const missing = await runRadfed('hub', 'task', 'create', '--dir', hub, '--file', join(root, 'none.json'));
  expect(missing.err).toBe(
    `radfed: Cannot read ${join(root, 'none.json')} (ENOENT): check the path, and that it is a file.\n`,
  );
});

it('hub token --url with an address sites cannot dial: refused, and no token is printed', async () => {
  for (const url of ['notaurl', 'http://hub.example.org:8443']) {
    const run = await runRadfed('hub', 'token', '--dir', hub, '--url', url);
    expect(run.status).toBe(1);
    expect(run.out).toBe('');
    expect(run.err).toContain('--url must be the https address sites dial');
  }
  expect(
    (await runRadfed('hub', 'token', '--dir', hub, '--url', 'https://hub.example.org:8443')).status,
  ).toBe(0);
});

it('site approve on a folder that is no site: says it is not a site, not that it is not enrolled', async () => {
  const folder = join(root, 'not-a-site');
  const run = await runRadfed('site', 'approve', '--dir', folder);
  expect(run.status).toBe(1);
  expect(run.err).toBe(
    `radfed: ${folder} is not a RadFed site (it has no site.json). Run radfed site init --dir ${folder} first.\n`,
  );
});
