// What the dashboard says right after a task is made: that sites must approve it, and for a
// per-patient differential-privacy task the σ it trains with (calibrated by the hub when the form
// left it empty) and the fewest training patients a site needs, since no site has declared its
// cohort yet (hub/privacy-checks.ts; each site checks its own at approval).
import { patientDpNoiseShape, patientLevelDp, type TaskDefinition } from '../../shared/federation/index.ts';
import { fewestPatientsFor } from '../../shared/privacy/index.ts';

export function createdTaskNotice(name: string, definition: TaskDefinition, calibrated: boolean): string {
  const created = `Task "${name}" created. Sites see it the next time they connect and must approve it before they train.`;
  const dp = patientLevelDp(definition.privacy.differentialPrivacy);
  if (!dp) return created;
  const sigma = calibrated
    ? `The hub calibrated the noise multiplier from the budget: σ = ${dp.noiseMultiplier}.`
    : `Noise multiplier σ = ${dp.noiseMultiplier}.`;
  return (
    `${created} ${sigma} A site needs at least ${fewestPatientsFor(dp.noiseMultiplier, dp.samplingRate, patientDpNoiseShape(definition))} ` +
    'training patients for a useful model; each site checks its own when it approves the task.'
  );
}
