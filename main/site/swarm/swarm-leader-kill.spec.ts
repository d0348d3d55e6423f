// A leader killed with SIGKILL mid-merge (it holds the unmasked sum and has not committed the
// aggregate): the next member in the ledger's succession finishes the round, without the dead leader's
// update, and the two survivors commit the same model. Three members, each its own process, on
// loopback mutual TLS. The time from the kill to the commit is printed for docs/swarm-learning.md,
// never asserted.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { noduleTask } from './testing/nodule-task.ts';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'radfed-swarm-kill-'));

interface MemberEvent {
  readonly event: string;
  readonly [field: string]: unknown;
}

class MemberProcess {
  readonly events: MemberEvent[] = [];
  readonly child: ChildProcess;
  #output = '';

  constructor(
    readonly name: string,
    seed: number,
  ) {
    this.child = spawn(
      process.execPath,
      ['--import', 'tsx', 'main/site/swarm/testing/member-process.ts', folder, name, String(seed)],
      { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    this.child.stdout?.on('data', (part: Buffer) => {
      this.#output += part.toString();
      const lines = this.#output.split('\n');
      this.#output = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.events.push(JSON.parse(line) as MemberEvent);
    });
    this.child.stderr?.on('data', (part: Buffer) => process.stderr.write(part));
  }

  send(command: object): void {
    this.child.stdin?.write(`${JSON.stringify(command)}\n`);
  }

  async next(event: string, match: (e: MemberEvent) => boolean = () => true): Promise<MemberEvent> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const found = this.events.find((e) => e.event === event && match(e));
      if (found) return found;
      const failed = this.events.find((e) => e.event === 'error');
      if (failed) throw new Error(`${this.name}: ${String(failed.message)}`);
      if (Date.now() > deadline) throw new Error(`${this.name}: no '${event}' within 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

const members: MemberProcess[] = [];
afterAll(() => {
  for (const member of members) member.child.kill('SIGKILL');
  rmSync(folder, { recursive: true, force: true });
});

describe('swarm leader killed mid-merge', () => {
  it('the next in the succession finishes the round from the ledger; the survivors commit one model', async () => {
    members.push(
      new MemberProcess('alder', 11),
      new MemberProcess('birch', 12),
      new MemberProcess('cedar', 13),
    );
    const [alder, birch, cedar] = members as [MemberProcess, MemberProcess, MemberProcess];
    const ids = new Map<string, MemberProcess>();
    for (const member of members) ids.set(String((await member.next('ready')).id), member);
    alder.send({ cmd: 'found' });
    await alder.next('founded');
    for (const joiner of [birch, cedar]) {
      const before = alder.events.filter((e) => e.event === 'invitation').length;
      alder.send({ cmd: 'invite' });
      await alder.next(
        'invitation',
        () => alder.events.filter((e) => e.event === 'invitation').length > before,
      );
      const invitation = alder.events.filter((e) => e.event === 'invitation')[before]!;
      joiner.send({ cmd: 'join', token: invitation.token });
      await joiner.next('joined');
    }
    const { initial, task } = noduleTask({ rounds: 1, leaderTimeoutMs: 4000 });
    for (const member of members) {
      member.send({ cmd: 'rounds', task, initialModel: Buffer.from(initial).toString('base64') });
      await member.next('rounds-ready');
    }
    alder.send({ cmd: 'start-round' });
    // Whoever the seed made leader says so when it holds the sum; kill it then.
    const leader = await Promise.any(
      members.map(async (m) => ({ member: m, merging: await m.next('merging') })),
    );
    const killedAt = Date.now();
    leader.member.child.kill('SIGKILL');
    const survivors = members.filter((m) => m !== leader.member);
    const commits = await Promise.all(survivors.map((m) => m.next('committed', (e) => e.round === 1)));
    const deadId = [...ids].find(([, m]) => m === leader.member)?.[0];
    expect(commits[0]!.model).toBe(commits[1]!.model);
    expect(commits[0]!.leader).not.toBe(deadId);
    expect((commits[0]!.participants as string[]).sort()).toEqual(
      [...ids]
        .filter(([, m]) => m !== leader.member)
        .map(([id]) => id)
        .sort(),
    );
    const recoveredAt = Math.max(...commits.map((c) => Number(c.at)));
    console.log(
      `swarm leader kill: ${((recoveredAt - killedAt) / 1000).toFixed(2)} s from SIGKILL to the round's commit at both survivors (leader timeout ${task.leaderTimeoutMs / 1000} s)`,
    );
  }, 120_000);
});
