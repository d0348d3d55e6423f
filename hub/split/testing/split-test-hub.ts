// For the hub's split specs that drive sessions frame by frame: a real hub (TLS, loopback) serving the
// test trunk (SPLIT_TEST_MODEL, Adam) for one task, with its sites enrolled.
import type { HubTrunk } from '../../../main/site/train/split/index.ts';
import { selectBackend } from '../../../main/site/train/backend/index.ts';
import type { SiteEnrollment } from '../../../shared/node/federation/index.ts';
import type { SplitSessionLimits } from '../index.ts';
import { makeTestHubWithSites, type TestHub } from '../../testing/test-hub.ts';
import { splitTestTrunk } from './split-test-site.ts';

export interface SplitTestHub<Names extends readonly string[]> {
  testHub: TestHub;
  /** Each site's enrollment, in the order of the names. */
  sites: { -readonly [K in keyof Names]: SiteEnrollment };
  trunk: HubTrunk;
}

/** A hub with `split` limits (else the defaults) serving the test trunk for `taskId`, and sites enrolled under `names`. */
export async function startSplitTestHub<const Names extends readonly string[]>(
  taskId: string,
  names: Names,
  split: Partial<SplitSessionLimits> = {},
): Promise<SplitTestHub<Names>> {
  // The trunk's kernels: the same backend in every split spec, whatever the machine has.
  await selectBackend({ choice: 'wasm' });
  const { test, sites } = await makeTestHubWithSites(names, { split });
  const trunk = splitTestTrunk().trunk;
  await test.hub.split.serveTrunk(taskId, trunk);
  return {
    testHub: test,
    sites: sites.map((site) => site.enrollment) as SplitTestHub<Names>['sites'],
    trunk,
  };
}
