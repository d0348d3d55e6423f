// An approval outlives the release that made it. A site approved a task, and a later release added
// fields with defaults (maxExamplesPerSite, secure aggregation's statisticsClipRange): the approval
// row it kept lacks them and its hash was taken without them. Against a real hub on a loopback port,
// that approval still matches the task the hub publishes, while a value the hub changed, a new field
// set to something other than its default, or a damaged record still refuse it.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, type TaskDefinition, type TaskView } from '../../../shared/federation/index.ts';
import { HubClient } from '../../../shared/node/federation/index.ts';
import { openSite } from '../store/index.ts';
import { requireApproval } from './approvals.ts';
import { loadEnrollment } from './enrollment-store.ts';
import { enrollSiteWithHub } from './index.ts';
import { makeFederationFixture, type FederationFixture } from './testing/federation-fixture.ts';

let fixture: FederationFixture;
let client: HubClient;
let siteDir: string;

beforeAll(async () => {
  fixture = await makeFederationFixture({ sites: 1, withData: false });
  siteDir = fixture.sites[0]!.dir;
  await enrollSiteWithHub({ siteDir, token: (await fixture.testHub.hub.createToken()).token });
  client = HubClient.fromEnrollment(loadEnrollment(siteDir));
}, 60_000);
afterAll(() => fixture?.cleanup());

/** The definition as a release without the two later fields parsed it, and so approved it. */
function asAnOlderReleaseSawIt(definition: TaskDefinition): Record<string, unknown> {
  const older = structuredClone(definition) as unknown as Record<string, unknown> & {
    privacy: { secureAggregation: Record<string, unknown> };
  };
  delete older.maxExamplesPerSite;
  delete older.privacy.secureAggregation.statisticsClipRange;
  return older;
}

/** Writes the approval row as that older release did: its definition, the hash of its canonical JSON. */
function keepOlderApproval(taskId: string, definition: Record<string, unknown>, hashOf = definition): void {
  const site = openSite(siteDir);
  try {
    site.database
      .prepare(
        `INSERT OR REPLACE INTO federation_approvals (task_id, task_name, definition_sha256, definition, cohort_task_id, approved_at, approved_by)
         VALUES (?, ?, ?, ?, 'chest-nodule', '2026-11-01T09:00:00.000Z', 'operator')`,
      )
      .run(
        taskId,
        String(definition.name),
        createHash('sha256').update(canonicalJson(hashOf)).digest('hex'),
        JSON.stringify(definition),
      );
  } finally {
    site.database.close();
  }
}

function check(view: TaskView): string | null {
  const site = openSite(siteDir);
  try {
    requireApproval(site.database, view);
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    site.database.close();
  }
}

describe('an approval kept by an earlier release', () => {
  it('still matches the same task after new defaulted fields appear in the definition', async () => {
    const taskId = await fixture.createTask({ name: 'approved last month' });
    const view = await client.getTask(taskId);
    expect(view.definition.privacy.secureAggregation.statisticsClipRange).toBe(64);
    keepOlderApproval(taskId, asAnOlderReleaseSawIt(view.definition));
    expect(check(view)).toBeNull();
  });

  it('is refused once the hub changed a value the operator approved', async () => {
    const taskId = await fixture.createTask({ name: 'rate raised later' });
    const view = await client.getTask(taskId);
    const approved = asAnOlderReleaseSawIt(view.definition);
    keepOlderApproval(taskId, {
      ...approved,
      optimizer: { ...view.definition.optimizer, learningRate: 0.01 },
    });
    expect(check(view)).toContain('no longer what this site approved');
  });

  it('is refused when the hub set a new field to other than its default', async () => {
    const taskId = await fixture.createTask({ name: 'tight cap', maxExamplesPerSite: 5000 });
    const view = await client.getTask(taskId);
    keepOlderApproval(taskId, asAnOlderReleaseSawIt(view.definition));
    expect(check(view)).toContain('no longer what this site approved');
  });

  it('is refused when its stored definition is not the one its hash was taken over', async () => {
    const taskId = await fixture.createTask({ name: 'edited record' });
    const view = await client.getTask(taskId);
    const approved = asAnOlderReleaseSawIt(view.definition);
    // The row's definition says what the hub now says, but the approval was of a higher rate.
    keepOlderApproval(taskId, approved, {
      ...approved,
      optimizer: { ...view.definition.optimizer, learningRate: 0.01 },
    });
    expect(check(view)).toContain('does not match the hash it was approved under');
  });
});
