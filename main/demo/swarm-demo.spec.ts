// A smoke run of `radfed demo --method swarm` with a tiny configuration: real synthesis and sites,
// three swarm members on loopback mutual TLS with no hub, two rounds each led by the member the ledger
// elects, the baselines and the table with the swarm's columns.
import { describe, expect, it } from 'vitest';
import { formatSwarmDemoTable, runSwarmDemo } from './index.ts';

/** Timers that keep this process alive (Node's own count of them). */
function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

describe('radfed demo --method swarm', () => {
  it('runs the hospitals as a swarm with no hub and reports leader, ledger height, bytes and merge time per round', async () => {
    const lines: string[] = [];
    const timersBefore = activeTimers();
    const result = await runSwarmDemo({
      sites: 3,
      patientsPerSite: 12,
      rounds: 2,
      localEpochs: 1,
      imageSize: 32,
      say: (line) => lines.push(line),
    });
    expect(result.models.map((m) => m.kind)).toEqual(['local', 'local', 'local', 'federated', 'pooled']);
    expect(result.models.every((m) => m.accuracy >= 0 && m.accuracy <= 1)).toBe(true);
    expect(result.rounds.map((r) => r.ledgerHeight)).toEqual([5, 8]);
    for (const round of result.rounds) {
      expect(Object.keys(round.bytesSent)).toHaveLength(3);
      // Each member sent at least its masked update: 4 bytes per weight, in base64.
      for (const bytes of Object.values(round.bytesSent)) expect(bytes).toBeGreaterThan(result.modelBytes);
      expect(round.mergeSeconds).not.toBeNull();
    }
    const table = formatSwarmDemoTable(result);
    expect(table).toMatch(/Swarm, no hub/);
    expect(table).toMatch(/Round {2}Leader {8}Ledger height/);
    expect(lines.join('\n')).toMatch(/founded the swarm and invited the others/);
    // Nothing left polling once the swarm is done: the demo's process exits when its work does (each
    // round's watch for a failed leader used to poll every 100 ms forever, and the command never ended).
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
  }, 600_000);
});
