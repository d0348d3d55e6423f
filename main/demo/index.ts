// The demo room: `radfed demo` (`npm run demo`), a whole federation on one machine with embedded
// defaults, and its results as a table and as JSON.
export { DemoRefusedError, runDemo, type DemoRunOptions } from './run-demo.ts';
export { DEMO_DEFAULTS, demoTaskDefinition, type DemoSettings } from './demo-options.ts';
export { formatDemoTable, type DemoResult, type ModelResult } from './demo-report.ts';
export { defaultLauncher, stopDemoProcesses, type RadfedLauncher } from './demo-processes.ts';
export {
  openDemoFolder,
  removeOpenDemoFolders,
  type DemoFolder,
  type StoppedDemoFolders,
} from './demo-folder.ts';
export { measureDpCurve, type DpCurveOptions, type DpCurvePoint } from './dp-curve.ts';
export { formatDpCurve } from './dp-curve-table.ts';
export { curveData } from './dp-curve-data.ts';
export { runInProcessFederation, type InProcessFederationOptions } from './in-process-federation.ts';
export {
  formatSiteLevelCurve,
  measureSiteLevelCurve,
  type SiteLevelCurvePoint,
} from './dp-curve-site-level-curve.ts';
export { DEMO_DP_PRESET } from './demo-privacy.ts';
export { dpDemoPlan, type DpDemoFlags, type DpDemoPlan } from './dp-demo-options.ts';
export { estimateDpDemo, runDpDemo, type DpDemoRunOptions } from './dp-demo.ts';
export { formatDpDemoTable, type DpDemoResult } from './dp-demo-report.ts';
export {
  DEMO_REALISTIC_PRESET,
  DEMO_SCALES,
  describeEstimate,
  estimateDemoTime,
  type DemoScale,
} from './demo-scale.ts';
export { runSwarmDemo, type SwarmDemoResult, type SwarmRoundFigures } from './swarm-demo.ts';
export { formatSwarmDemoTable } from './swarm-demo-report.ts';
export {
  COMPARE_DEFAULT_ROUNDS,
  runCompareDemo,
  type CompareResult,
  type CompareRow,
  type CompareRunOptions,
} from './compare-demo.ts';
export { formatCompareTable } from './compare-report.ts';
export { DEMO_SPLIT_STRATEGY } from './demo-split.ts';
export { runFederationRounds, type FederationRoundsResult } from './federation-rounds.ts';
export { checkSecureRoundAgainstMean, type SecureRoundCheck } from './secagg-round-check.ts';
