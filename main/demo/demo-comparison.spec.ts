import { describe, expect, it } from 'vitest';
import {
  compareRuns,
  describeComparison,
  describeFederation,
  type FederationFigures,
} from './demo-comparison.ts';

const secure: FederationFigures = {
  protection: 'secure aggregation',
  secureAggregation: true,
  auc: 0.95,
  accuracy: 0.9,
  siteRounds: 180,
  siteRoundsIn: 180,
  missed: [],
  bytesPerSitePerRound: 1.22e6,
  seconds: 440,
  epsilon: null,
  lastRounds: { rounds: 10, meanAuc: 0.946, minAuc: 0.897, maxAuc: 0.963 },
};
const plain = {
  ...secure,
  protection: 'no added protection',
  secureAggregation: false,
  auc: 0.958,
  accuracy: 0.91,
  bytesPerSitePerRound: 0.61e6,
  seconds: 400,
  lastRounds: { rounds: 10, meanAuc: 0.92, minAuc: 0.861, maxAuc: 0.958 },
  rounds: [],
};

describe('the demo’s participation and cost lines', () => {
  it('says every site took part in every round, and what one site sent per round', () => {
    expect(describeFederation(secure, 1.22e6)).toEqual([
      'Secure aggregation: every site in every round (180 of 180 site-rounds); each site sent 1.22 MB per round ' +
        '(100 % of the raw float32 model); the hub learned only the sum of the updates.',
    ]);
  });

  it('counts missed site-rounds per site and quotes the first site’s own reason', () => {
    const lines = describeFederation(
      {
        ...secure,
        siteRoundsIn: 177,
        missed: [
          { round: 4, site: 'Hospital C', reason: 'It was late.' },
          { round: 9, site: 'Hospital A', reason: 'It was late again.' },
          { round: 12, site: 'Hospital C', reason: 'Once more.' },
        ],
      },
      1.22e6,
    );
    expect(lines[0]).toMatch(/^Secure aggregation: 3 of 180 site-rounds missed \(177 of 180 site-rounds\)/);
    expect(lines[1]).toBe(
      'Missed: Hospital C 2, Hospital A 1; the first, round 4 at Hospital C: It was late.',
    );
  });

  it('sets the protected run against the plain one: AUC, bytes per site per round, seconds', () => {
    const comparison = compareRuns(secure, plain);
    expect(comparison.aucDifference).toBeCloseTo(-0.008);
    expect(comparison.bytesRatio).toBeCloseTo(2);
    const lines = describeComparison(secure, comparison);
    expect(lines[3]).toMatch(/^Secure aggregation\s+0\.950\s+0\.900\s+180\/180\s+1\.22 MB\s+440 s$/);
    expect(lines[4]).toMatch(/^No added protection\s+0\.958\s+0\.910\s+180\/180\s+0\.61 MB\s+400 s$/);
    expect(lines[5]).toBe(
      'Cost of secure aggregation: AUC \u22120.008, accuracy \u22120.010, 2.00\u00d7 the bytes per site per round, +40 s of federation time.',
    );
    expect(lines[6]).toBe(
      'The test AUC moves by a few hundredths from one round to the next; over the last 10 global models it averaged ' +
        '0.946 (0.897\u20130.963) with secure aggregation and 0.920 (0.861\u20130.958) without (+0.026).',
    );
  });
});
