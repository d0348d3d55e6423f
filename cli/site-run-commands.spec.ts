// `radfed site receive | watch | run`: settings, and `site run` as a real long-running process that
// storescu sends to and a file is dropped for, stopped with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AuditLog,
  initSite,
  openSite,
  readSiteConfig,
  ResearchIndex,
  sitePaths,
} from '../main/site/index.ts';
import {
  freePort,
  stopChild,
  storescu,
  TEST_FILES,
  writeVariants,
} from '../main/site/receiver/test-peers.ts';
import { CliError } from './failure.ts';
import { receiverSettings, registerRunCommands, saveSettings } from './site-run-commands.ts';

const REPO = join(import.meta.dirname, '..');
// The `site` group with only these commands, as the command line would run them.
const ENTRY = `
import { Command } from 'commander';
import { registerRunCommands } from './cli/site-run-commands.ts';
import { reportFailure } from './cli/failure.ts';
const program = new Command('radfed').exitOverride();
registerRunCommands(program.command('site'));
try { await program.parseAsync(process.argv.slice(1), { from: 'user' }); } catch (error) { process.exitCode = reportFailure(error); }
`;

const children: ChildProcess[] = [];
const roots: string[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) await stopChild(child);
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function newSite(): { root: string; dir: string } {
  const root = mkdtempSync(join(tmpdir(), 'radfed-run-'));
  roots.push(root);
  const dir = join(root, 'site');
  initSite(dir, { name: 'run test site', deidOptions: [] });
  return { root, dir };
}

async function runInProcess(args: string[]): Promise<void> {
  const program = new Command('radfed').exitOverride();
  registerRunCommands(program.command('site').exitOverride());
  await program.parseAsync(args, { from: 'user' });
}

async function waitFor(output: () => string, pattern: RegExp, what: string): Promise<void> {
  const deadline = Date.now() + 45_000; // a bound against hanging, not a speed requirement
  while (!pattern.test(output())) {
    if (Date.now() > deadline) throw new Error(`never saw ${what}; output so far:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('site receive, watch and run settings', () => {
  it('site run says what to set up when nothing is', async () => {
    const { dir } = newSite();
    await expect(runInProcess(['site', 'run', '--dir', dir])).rejects.toThrow(/Nothing to run/);
  });

  it('site receive names the settings it is missing', async () => {
    const { dir } = newSite();
    const error = await runInProcess(['site', 'receive', '--dir', dir, '--port', '11112']).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toMatch(/needs --ae, --allow/);
    expect(() => receiverSettings(dir, { port: 104, ae: 'A-TITLE-LONGER-THAN-16', allow: ['PACS'] })).toThrow(
      /at most 16 characters/,
    );
  });

  it('saves receiver settings in site.json, with an audit entry, for site run', () => {
    const { dir } = newSite();
    const settings = receiverSettings(dir, { port: 11112, ae: ' RADFED ', allow: ['PACS', 'CT01'] });
    saveSettings(dir, { receiver: settings });
    expect(readSiteConfig(sitePaths(dir)).receiver).toEqual({
      host: '0.0.0.0',
      port: 11112,
      aeTitle: 'RADFED',
      allowedCallingAeTitles: ['PACS', 'CT01'],
    });
    // Flags left out later come from what was saved.
    expect(receiverSettings(dir, { allow: [] }).allowedCallingAeTitles).toEqual(['PACS', 'CT01']);
    const site = openSite(dir);
    const [entry] = new AuditLog(site.database).list({ type: 'site.settings-changed' });
    site.database.close();
    expect(entry?.detail).toMatchObject({
      receiver: { port: 11112, allowedCallingAeTitles: ['PACS', 'CT01'] },
    });
  });
});

describe('site run as a long-running process', () => {
  it('receives and watches until SIGTERM, then stops cleanly', async () => {
    const { root, dir } = newSite();
    const dropbox = join(root, 'dropbox');
    mkdirSync(dropbox);
    const port = await freePort();
    saveSettings(dir, {
      receiver: { host: '127.0.0.1', port, aeTitle: 'RADFED', allowedCallingAeTitles: ['PACS'] },
      watch: { folder: dropbox, settleSeconds: 0.5 },
    });

    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', ENTRY, 'site', 'run', '--dir', dir],
      {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor(() => output, /Running\. Press Ctrl\+C to stop\./, 'the start');
    expect(output).toContain(`Receiving DICOM as AE "RADFED" on 127.0.0.1:${port}, from PACS.`);
    expect(output).toContain(`Watching ${dropbox}`);

    const sent = await storescu(port, [join(TEST_FILES, 'CT_small.dcm'), join(TEST_FILES, 'MR_small.dcm')]);
    expect(sent.code, sent.stderr).toBe(0);
    const [third] = writeVariants(join(TEST_FILES, 'CT_small.dcm'), 1, join(root, 'variant')); // another instance
    writeFileSync(join(dropbox, 'Roe^Richard.dcm'), readFileSync(third as string));
    await waitFor(() => output, /"PACS" sent 2 instances: 2 stored, 0 refused\./, 'the association summary');
    await waitFor(
      () => output,
      /Ingested 1 file from the watched folder: 1 de-identified/,
      'the watched folder ingest',
    );
    const stored = () => {
      const site = openSite(dir); // a second connection, as another process would open it
      try {
        return `${new ResearchIndex(site.database).counts().instances} stored`;
      } finally {
        site.database.close();
      }
    };
    await waitFor(stored, /^3 stored$/, 'all three instances stored');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('Stopping: finishing the file being ingested...\n');
    expect(output).toMatch(/\nStopped\.\n$/);
    expect(output).toMatch(/Ingested \d received files?: \d de-identified/); // the last run, at the latest on stopping
    expect(output).not.toContain('Roe');

    const site = openSite(dir);
    const audit = new AuditLog(site.database).list().map((entry) => entry.type);
    site.database.close();
    expect(audit).toEqual(
      expect.arrayContaining(['receiver.started', 'receiver.association', 'receiver.stopped']),
    );
  });
});
