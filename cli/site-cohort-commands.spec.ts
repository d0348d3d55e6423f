// The task, labels and cohort commands, run through commander against a real site (synthesized
// studies, real ingest), reading what they print.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuditLog } from '../main/site/audit/index.ts';
import { makeTestSite, type TestSite } from '../main/site/cohort/test-site.ts';
import { registerCohortCommands } from './site-cohort-commands.ts';

let t: TestSite;

async function radfed(...args: string[]): Promise<string> {
  const program = new Command('radfed').exitOverride().configureOutput({ writeErr: () => undefined });
  registerCohortCommands(program.command('site').exitOverride());
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['site', ...args], { from: 'user' });
  } finally {
    spy.mockRestore();
  }
  return out;
}

beforeAll(async () => {
  t = await makeTestSite({ patients: 6 });
  // The site's own database handle stays open beside the commands' (WAL allows it).
}, 60_000);
afterAll(() => t.close());

describe('radfed site task / labels / cohort', () => {
  it('adds and lists a task, imports labels, and shows the cohort', async () => {
    const file = join(t.root, 'task.json');
    writeFileSync(
      file,
      JSON.stringify({ id: 'chest-nodule', name: 'Lung nodule', labels: ['normal', 'nodule'] }),
    );
    const dir = t.site.directory;
    expect(await radfed('task', 'add', '--dir', dir, '--file', file)).toMatch(/Added task "chest-nodule"/);
    expect(await radfed('task', 'list', '--dir', dir)).toMatch(
      /chest-nodule: Lung nodule\n {2}labels: 0 normal, 1 nodule/,
    );

    const csv = join(t.root, 'labels.csv');
    const [first] = t.studies;
    writeFileSync(
      csv,
      `accession_number,label\n${first!.accessionNumber},${first!.labelName}\nACCNOSUCH9,normal\n`,
    );
    const imported = await radfed('labels', 'import', '--dir', dir, '--file', csv);
    expect(imported).toMatch(/2 rows, 1 study labelled \(1 new/);
    // The unmatched row is named by its line: its key reaches neither the terminal nor the audit log.
    expect(imported).toMatch(/no de-identified study: lines 3\b/);
    expect(imported).not.toContain('ACCNOSUCH9');
    expect(JSON.stringify(new AuditLog(t.site.database).list())).not.toContain('ACCNOSUCH9');

    const json = JSON.parse(await radfed('cohort', '--dir', dir, '--json')) as {
      items: { train: number; validation: number };
      excluded: { noLabel: { studies: number } };
    };
    expect(json.items.train + json.items.validation).toBeGreaterThan(0);
    expect(json.excluded.noLabel.studies).toBe(t.studies.filter((s) => s.stored).length - 1);
    expect(await radfed('cohort', '--dir', dir, '--task', 'chest-nodule')).toMatch(
      /Cohort of task "chest-nodule"[\s\S]*no label: [\s\S]*held by de-identification/,
    );
  });

  it('refuses a bad --key value before touching the site', async () => {
    await expect(
      radfed('labels', 'import', '--dir', t.site.directory, '--file', 'x.csv', '--key', 'patient'),
    ).rejects.toThrow(/--key takes accession or study-uid/);
  });
});
