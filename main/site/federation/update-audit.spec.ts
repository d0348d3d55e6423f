// The audit entry for an update that leaves the site, written by real rounds against a real hub (two
// sites, real ingest and training on tiny images): one round in the clear with differential privacy,
// one under secure aggregation. The SHA-256 and size in each site's entry must be those of the exact
// bytes the hub accepted from that site, and the entry names the person given as the actor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, INITIAL_MODEL_SENT, osUserName, UPDATE_SENT, type AuditEntry } from '../audit/index.ts';
import { openSite } from '../store/index.ts';
import { approveTask, enrollSiteWithHub, loadEnrollment, runFederation } from './index.ts';
import { makeFederationFixture, type FederationFixture } from './testing/federation-fixture.ts';

let fixture: FederationFixture;
const ACTORS = ['Jane Doe (jdoe)', undefined] as const;

beforeAll(async () => {
  fixture = await makeFederationFixture({ sites: 2, patients: 6 });
  for (const site of fixture.sites) {
    await enrollSiteWithHub({ siteDir: site.dir, token: (await fixture.testHub.hub.createToken()).token });
  }
}, 90_000);
afterAll(async () => {
  await fixture?.cleanup();
});

async function runRound(taskId: string): Promise<void> {
  for (const site of fixture.sites) await approveTask(site.dir, taskId);
  const controller = new AbortController();
  const results = await Promise.all(
    fixture.sites.map((site, i) =>
      runFederation({
        siteDir: site.dir,
        signal: controller.signal,
        untilDone: true,
        waitSeconds: 2,
        rescanMs: 500,
        backend: 'cpu',
        retryBaseMs: 50,
        retryMaxMs: 200,
        ...(ACTORS[i] ? { actor: ACTORS[i] } : {}),
      }),
    ),
  );
  for (const result of results)
    expect(result.tasks.find((t) => t.taskId === taskId)?.state).toBe('completed');
}

function entriesOf(siteDir: string, type: string): AuditEntry[] {
  const site = openSite(siteDir);
  try {
    return new AuditLog(site.database).list({ type });
  } finally {
    site.database.close();
  }
}

const updateEntries = (siteDir: string, taskId: string): AuditEntry[] =>
  entriesOf(siteDir, UPDATE_SENT).filter((e) => e.detail.taskId === taskId);

/** The hub's record of what each site sent: site id → SHA-256 and size of the accepted bytes. */
async function acceptedAtHub(taskId: string): Promise<Map<string, { sha256: string; bytes: number }>> {
  const { store } = fixture.testHub.hub.ctx;
  return new Map(
    await Promise.all(
      (await store.uploads.acceptedUpdates(taskId, 1)).map(async (s) => {
        const bytes = await store.blobs.sizeOf(s.blob_sha256);
        return [s.site_id, { sha256: s.blob_sha256, bytes }] as const;
      }),
    ),
  );
}

describe('the audit entry of an update sent to the hub', () => {
  it('records task, round, size, SHA-256 of the bytes the hub accepted, compression and DP with ε spent', async () => {
    const taskId = await fixture.createTask({
      name: 'Lung nodule',
      rounds: 1,
      quorum: 2,
      compression: 'float16',
      privacy: {
        secureAggregation: false,
        differentialPrivacy: { clipNorm: 1, noiseMultiplier: 1.2, budget: { epsilon: 10, delta: 1e-5 } },
      },
    });
    await runRound(taskId);
    const atHub = await acceptedAtHub(taskId);
    expect(atHub.size).toBe(2);
    for (const [i, site] of fixture.sites.entries()) {
      const entries = updateEntries(site.dir, taskId);
      expect(entries).toHaveLength(1);
      const entry = entries[0]!;
      const hubRecord = atHub.get(loadEnrollment(site.dir).siteId)!;
      expect(entry.actor).toBe(ACTORS[i] ?? osUserName());
      expect(entry.detail).toMatchObject({
        taskId,
        taskName: 'Lung nodule',
        round: 1,
        bytes: hubRecord.bytes,
        sha256: hubRecord.sha256,
        compression: 'float16',
        secureAggregation: false,
        differentialPrivacy: { clipNorm: 1, noiseMultiplier: 1.2, epsilonBudget: 10, delta: 1e-5 },
      });
      expect(typeof entry.detail.hubName).toBe('string');
      const dp = entry.detail.differentialPrivacy as { epsilonSpent: number };
      expect(dp.epsilonSpent).toBeGreaterThan(0);
      expect(dp.epsilonSpent).toBeLessThanOrEqual(10);
    }
    // The task had no starting model: one site offered its own, and its entry matches what the hub kept.
    const offered = fixture.sites.flatMap((site) =>
      entriesOf(site.dir, INITIAL_MODEL_SENT).filter((e) => e.detail.taskId === taskId),
    );
    expect(offered).toHaveLength(1);
    const kept = await fixture.testHub.hub.ctx.store.sql.get<{ blob_sha256: string }>(
      "SELECT blob_sha256 FROM submissions WHERE task_id = @taskId AND kind = 'initial' AND state = 'accepted'",
      { taskId },
    );
    expect(offered[0]?.detail).toMatchObject({ taskName: 'Lung nodule', sha256: kept?.blob_sha256 });
  }, 240_000);

  it('under secure aggregation records the masked input that was sent', async () => {
    const taskId = await fixture.createTask({ name: 'Secure nodule', rounds: 1, quorum: 2 });
    await runRound(taskId);
    const atHub = await acceptedAtHub(taskId);
    for (const site of fixture.sites) {
      const [entry, ...more] = updateEntries(site.dir, taskId);
      expect(more).toHaveLength(0);
      const hubRecord = atHub.get(loadEnrollment(site.dir).siteId)!;
      expect(entry?.detail).toMatchObject({
        round: 1,
        secureAggregation: true,
        differentialPrivacy: null,
        sha256: hubRecord.sha256,
        bytes: hubRecord.bytes,
      });
    }
  }, 240_000);
});
