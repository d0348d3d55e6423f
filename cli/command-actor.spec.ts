// Commands name the OS account that ran them in every audit entry they write (never "operator"):
// `radfed site init`, `site consent import`, `site ingest`, run in-process through the real command
// line against a real site folder.
import { mkdtempSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { AuditLog, openSite } from '../main/site/index.ts';
import { runRadfed } from './test-cli.ts';

const CT_SMALL = '/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm';

it('every entry a command writes names the OS user who ran it', async () => {
  const root = mkdtempSync(join(tmpdir(), 'radfed-cli-actor-'));
  const dir = join(root, 'site');
  expect((await runRadfed('site', 'init', '--dir', dir, '--consent-policy', 'opt-out')).status).toBe(0);
  const csv = join(root, 'consent.csv');
  writeFileSync(csv, 'patient_id,status,date\nACTOR-CLI-1,refused,2024-02-01\n');
  expect((await runRadfed('site', 'consent', 'import', '--dir', dir, '--file', csv)).status).toBe(0);
  const inbox = join(root, 'inbox');
  mkdirSync(inbox);
  copyFileSync(CT_SMALL, join(inbox, 'ct.dcm'));
  expect((await runRadfed('site', 'ingest', '--dir', dir, inbox)).status).toBe(0);

  const site = openSite(dir);
  try {
    const entries = new AuditLog(site.database).list();
    const types = entries.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['site.created', 'consent.imported', 'ingest.completed']));
    for (const entry of entries)
      expect(`${entry.type}: ${entry.actor}`).toBe(`${entry.type}: ${userInfo().username}`);
  } finally {
    site.database.close();
  }
});
