// The demo's federation alone (hub and site agents as separate processes, HTTPS over loopback, as
// `radfed demo` runs it), without the local-only and pooled yardsticks, which do not depend on the
// federation's protection; then every round's global model scored on the pooled test set, beside each
// site's learning rate per round as its trainer reported it. For measuring how far two federations of
// the demo differ (issue 16: secure against plain, one seed against another): bench/demo-rounds.ts.
import { join } from 'node:path';
import { trainingTaskFor } from '../site/federation/index.ts';
import { selectBackend } from '../site/train/index.ts';
import { prepareDemoData } from './demo-data.ts';
import { runDemoFederation, type FederationRun } from './demo-federation.ts';
import { setUpDemoHub } from './demo-hub.ts';
import { DEMO_DEFAULTS, type DemoSettings } from './demo-options.ts';
import { DEMO_PROTECTION, PLAIN_FEDERATION } from './demo-privacy.ts';
import { defaultLauncher, startHubProcess } from './demo-processes.ts';
import { joinDemoFederation } from './demo-sites.ts';
import { attachTestAuc, scorePublishedModels } from './round-test-auc.ts';
import { setUpDemoHospitals } from './run-demo.ts';
import { openDemoFolder } from './demo-folder.ts';

export interface FederationRoundsResult {
  readonly secureAggregation: boolean;
  readonly seed: number;
  readonly testImages: number;
  readonly federationSeconds: number;
  /** Time to score every published model on the test set. */
  readonly scoreSeconds: number;
  readonly missed: FederationRun['missed'];
  readonly rounds: FederationRun['rounds'];
}

export async function runFederationRounds(options: {
  readonly secureAggregation: boolean;
  readonly settings?: Partial<DemoSettings>;
  /** Kept when given (the hub's models, the sites), else a temporary folder removed at the end. */
  readonly dir?: string;
  readonly threads?: number;
  readonly say?: (line: string) => void;
}): Promise<FederationRoundsResult> {
  const settings = { ...DEMO_DEFAULTS, ...options.settings };
  const say = options.say ?? (() => undefined);
  const folder = openDemoFolder('radfed-demo-rounds-', options);
  const root = folder.path;
  try {
    const data = await prepareDemoData(root, settings);
    const sites = await setUpDemoHospitals(root, settings, data, say);
    await selectBackend({ choice: 'auto', ...(options.threads ? { threads: options.threads } : {}) });
    const hub = await setUpDemoHub(
      root,
      settings,
      options.secureAggregation ? DEMO_PROTECTION : PLAIN_FEDERATION,
    );
    const launcher = defaultLauncher();
    const hubProcess = await startHubProcess(launcher, hub.dir, hub.port, say);
    let run: FederationRun;
    try {
      for (const [index, site] of sites.entries())
        await joinDemoFederation(site, hub.tokens[index]!, hub.url, [hub.main.taskId]);
      run = await runDemoFederation({
        task: hub.main,
        sites,
        launcher,
        threadsPerSite: settings.threadsPerSite,
        say,
      });
    } finally {
      await hubProcess.stop();
    }
    const scoring = performance.now();
    const scores = await scorePublishedModels({
      hubDir: hub.dir,
      taskId: hub.main.taskId,
      task: trainingTaskFor(hub.main.taskId, hub.baselineDefinition),
      test: data.test,
      cacheDir: join(root, 'cache'),
      ...(options.threads ? { threads: options.threads } : {}),
    });
    attachTestAuc(run.rounds, scores);
    return {
      secureAggregation: options.secureAggregation,
      seed: settings.seed,
      testImages: data.test.length,
      federationSeconds: run.seconds,
      scoreSeconds: (performance.now() - scoring) / 1000,
      missed: run.missed,
      rounds: run.rounds,
    };
  } finally {
    folder.close();
  }
}
