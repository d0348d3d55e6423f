// `radfed site enroll | approve | run` through commander against a real hub on loopback HTTPS and a
// real site (synthesised studies, real ingest and training), reading what they print.
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  makeFederationFixture,
  type FederationFixture,
} from '../main/site/federation/testing/federation-fixture.ts';
import { registerFederationCommands } from './site-federation-commands.ts';
import { registerRunCommands } from './site-run-commands.ts';

let fixture: FederationFixture;

async function radfed(...args: string[]): Promise<string> {
  const program = new Command('radfed').exitOverride().configureOutput({ writeErr: () => undefined });
  const site = program.command('site').exitOverride();
  registerFederationCommands(site);
  registerRunCommands(site);
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
  fixture = await makeFederationFixture({ sites: 1, patients: 6 });
}, 60_000);
afterAll(async () => {
  await fixture?.cleanup();
});

describe('radfed site enroll / approve / run', () => {
  it('enrolls, lists and approves a task in plain words, then takes part until it is done', async () => {
    const dir = fixture.sites[0]!.dir;
    const { token } = await fixture.testHub.hub.createToken();
    const enrolled = await radfed('enroll', '--dir', dir, '--token', token, '--hub', fixture.testHub.hub.url);
    expect(enrolled).toMatch(
      /Enrolled "Test Site 1" with the hub "test hub" at https:\/\/127\.0\.0\.1:\d+; site id site_/,
    );
    expect(enrolled).toMatch(/Pinned: the hub CA certificate [0-9a-f]{16}/);
    expect(enrolled).not.toContain(token);

    const taskId = await fixture.createTask({
      name: 'cli task',
      quorum: 1,
      rounds: 1,
      privacy: { secureAggregation: false },
    });
    expect(await radfed('approve', '--dir', dir)).toMatch(
      new RegExp(`${taskId}  "cli task"  active, 1 rounds  not approved`),
    );
    // Not on a terminal and without --yes: shown, not approved.
    await expect(radfed('approve', '--dir', dir, '--task', taskId)).rejects.toThrow(
      /run the same command with --yes/,
    );
    const approved = await radfed('approve', '--dir', dir, '--task', 'cli task', '--yes');
    expect(approved).toMatch(/What leaves this site:/);
    expect(approved).toMatch(/Approved task .* for this site \(training on the site task "chest-nodule"\)/);

    const run = await radfed('run', '--dir', dir, '--until-done', '--threads', '1');
    expect(run).toMatch(
      /Federation: following approved tasks at https:\/\/127\.0\.0\.1:\d+ as "Test Site 1"/,
    );
    expect(run).toMatch(/Round 1: update sent \([\d.]+ MB sealed\)/);
    // The task is named by its name, not its id, once the loop has announced it.
    expect(run).toMatch(/Task "cli task" is completed/);
    expect(run).not.toContain(`Task ${taskId}`);
  }, 120_000);
});
