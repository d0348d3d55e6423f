// `radfed site init --consent-policy` and `radfed site consent …`, run in-process through the real
// command line against a real site folder. Output is checked for raw patient IDs.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './main.ts';

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

afterEach(() => vi.restoreAllMocks());

const newDir = () => join(mkdtempSync(join(tmpdir(), 'radfed-cli-consent-')), 'site');
function csv(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'radfed-cli-consent-csv-')), 'export.csv');
  writeFileSync(path, text);
  return path;
}

describe('radfed site init --consent-policy', () => {
  it('refuses to create a site without a policy, and says how to choose one', async () => {
    const dir = newDir();
    const result = await run('site', 'init', '--dir', dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /Choose a consent policy: --consent-policy opt-in .* or --consent-policy opt-out/,
    );
    expect(existsSync(dir)).toBe(false);
    const wrong = await run('site', 'init', '--dir', dir, '--consent-policy', 'maybe');
    expect(wrong.stderr).toMatch(/must be opt-in or opt-out/);
    expect(existsSync(dir)).toBe(false);
  });

  it('records the policy and scope in site.json and the status reports it', async () => {
    const dir = newDir();
    const made = await run(
      'site',
      'init',
      '--dir',
      dir,
      '--consent-policy',
      'opt-in',
      '--consent-scope',
      'Chest imaging research',
    );
    expect(made).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/consent policy: opt-in, scope: Chest imaging research/),
    });
    expect(JSON.parse(readFileSync(join(dir, 'site.json'), 'utf8'))).toMatchObject({
      consentPolicy: 'opt-in',
      consentScope: 'Chest imaging research',
    });
    const status = await run('site', 'status', '--dir', dir, '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({ consentPolicy: 'opt-in' });
  });
});

describe('radfed site consent', () => {
  it('imports, lists, shows, sets and withdraws, printing pseudonyms and never a raw ID', async () => {
    const dir = newDir();
    await run('site', 'init', '--dir', dir, '--consent-policy', 'opt-out');
    const imported = await run(
      'site',
      'consent',
      'import',
      '--dir',
      dir,
      '--file',
      csv('patient_id,status,date\nCLI-RAW-1,granted,2024-01-01\nCLI-RAW-2,refused,2024-02-01\n'),
    );
    expect(imported).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/Imported 2 rows: 2 new entries \(1 granted, 1 refused/),
    });

    const listed = await run('site', 'consent', 'list', '--dir', dir);
    expect(listed.stdout).toMatch(/Consent policy: opt-out\. 2 patients/);
    expect(listed.stdout).toMatch(/RF[0-9A-F]{16}\s+refused\s+2024-02-01\s+out: consent refused/);
    const onlyRefused = JSON.parse(
      (await run('site', 'consent', 'list', '--dir', dir, '--status', 'refused', '--json')).stdout,
    );
    expect(onlyRefused.patients).toHaveLength(1);

    const set = await run(
      'site',
      'consent',
      'set',
      '--dir',
      dir,
      '--patient',
      'CLI-RAW-1',
      '--status',
      'refused',
      '--date',
      '2025-01-01',
    );
    expect(set.stdout).toMatch(
      /Recorded refused \(2025-01-01\) for RF[0-9A-F]{16}: now out \(consent refused\)/,
    );

    const shown = await run('site', 'consent', 'show', '--dir', dir, '--patient', 'CLI-RAW-1');
    expect(shown.stdout).toMatch(/2024-01-01\s+granted\s+all uses\s+\(import/);
    expect(shown.stdout).toMatch(/2025-01-01\s+refused\s+all uses\s+\(set/);

    const withdrawn = await run('site', 'consent', 'withdraw', '--dir', dir, '--patient', 'CLI-RAW-3');
    expect(withdrawn.stdout).toMatch(
      /RF[0-9A-F]{16}: no data held for this patient; future ingests will exclude them/,
    );

    const all = [imported, listed, set, shown, withdrawn].map((r) => r.stdout + r.stderr).join('\n');
    expect(all).not.toMatch(/CLI-RAW/);
  });

  it('reports a bad file line by line, imports nothing, and exits 1', async () => {
    const dir = newDir();
    await run('site', 'init', '--dir', dir, '--consent-policy', 'opt-in');
    const bad = await run(
      'site',
      'consent',
      'import',
      '--dir',
      dir,
      '--file',
      csv('patient_id,status,date\nCLI-RAW-1,yes,2024-01-01\n'),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /nothing was imported[\s\S]*line 2: the status is not one of granted, refused, withdrawn/,
    );
    expect(bad.stderr).not.toMatch(/CLI-RAW|bug/);
    expect(
      JSON.parse((await run('site', 'consent', 'list', '--dir', dir, '--json')).stdout).patients,
    ).toEqual([]);
  });

  it('asks for exactly one of --patient and --file on withdraw, and a known status on set', async () => {
    const dir = newDir();
    await run('site', 'init', '--dir', dir, '--consent-policy', 'opt-in');
    expect((await run('site', 'consent', 'withdraw', '--dir', dir)).stderr).toMatch(
      /either --patient ID or --file CSV/,
    );
    const wrongStatus = await run(
      'site',
      'consent',
      'set',
      '--dir',
      dir,
      '--patient',
      'X',
      '--status',
      'yes',
    );
    expect(wrongStatus.code).toBe(2);
    expect(wrongStatus.stderr).toMatch(/granted, refused or withdrawn/);
  });
});
