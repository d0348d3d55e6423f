// Setting up the demo's hospitals, each as an operator would with `radfed site …`: create the site
// (opt-in consent), import the consent register, ingest and de-identify the studies, define the site
// task, import labels; later enroll with the hub and approve the federated task.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomically } from '../../shared/node/index.ts';
import { buildCohort, importLabelsFile, TaskStore } from '../site/cohort/index.ts';
import { approveTask, enrollSiteWithHub } from '../site/federation/index.ts';
import { initSite, openSite, SiteAgent, sitePaths } from '../site/index.ts';
import type { LabelledImage } from '../site/train/index.ts';
import type { DemoSiteData } from './demo-data.ts';
import { DEMO_COHORT_TASK } from './demo-options.ts';

export interface DemoSite {
  readonly name: string;
  readonly dir: string;
  readonly data: DemoSiteData;
  readonly ingested: { files: number; deidentified: number; excludedByConsent: number; held: number };
  readonly train: LabelledImage[];
  readonly validation: LabelledImage[];
  readonly patients: number;
}

export async function setUpDemoSite(
  root: string,
  name: string,
  data: DemoSiteData,
  seed: number,
): Promise<DemoSite> {
  const dir = join(root, 'sites', data.key);
  writeDemoSiteSecret(dir, seed, data.key);
  initSite(dir, { name, deidOptions: [], consentPolicy: 'opt-in', actor: 'demo' });
  const agent = SiteAgent.open(dir);
  let summary;
  try {
    await agent.consent.importCsv(data.consentCsv);
    summary = await agent.ingest(data.studiesDir);
  } finally {
    agent.close();
  }
  const site = openSite(dir);
  try {
    new TaskStore(site.database).add(DEMO_COHORT_TASK, { makeDefault: true, actor: 'demo' });
    importLabelsFile(site, data.labelsCsv, { task: DEMO_COHORT_TASK.id, actor: 'demo' });
    const cohort = buildCohort(site, DEMO_COHORT_TASK.id);
    return {
      name,
      dir,
      data,
      ingested: {
        files: summary.files,
        deidentified: summary.deidentified,
        excludedByConsent: summary.excluded ?? 0,
        held: summary.held,
      },
      train: cohort.train,
      validation: cohort.validation,
      patients: new Set([...cohort.train, ...cohort.validation].map((item) => item.patient)).size,
    };
  } finally {
    site.database.close();
  }
}

/**
 * The demo's hospitals take their site secret from the seed instead of from the random source, so the
 * same seed gives the same run: the secret decides each patient's pseudonym, and the pseudonym which
 * side of the training/validation split the patient falls on. Only for the demo's throwaway sites on
 * synthetic studies; `radfed site init` always draws 32 random bytes.
 */
function writeDemoSiteSecret(siteDir: string, seed: number, key: string): void {
  const path = sitePaths(siteDir).key;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const secret = createHash('sha256').update(`radfed demo site secret/${seed}/${key}`).digest();
  writeFileAtomically(path, secret, { mode: 0o600, exclusive: true });
}

/** Enrolls the site with its one-time token over HTTPS, then approves the federated task. */
export async function joinDemoFederation(
  site: DemoSite,
  token: string,
  hubUrl: string,
  taskIds: readonly string[],
): Promise<void> {
  await enrollSiteWithHub({ siteDir: site.dir, token, hubUrl, env: {} });
  for (const taskId of taskIds) await approveTask(site.dir, taskId, { actor: 'demo', env: {} });
}

/** Approves one more task at an enrolled site (`--compare`'s second federation, after the first). */
export async function approveDemoTask(site: DemoSite, taskId: string): Promise<void> {
  await approveTask(site.dir, taskId, { actor: 'demo', env: {} });
}
