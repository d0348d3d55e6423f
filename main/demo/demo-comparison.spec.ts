import { describe, expect, it } from 'vitest';
import { describeFederation, type FederationFigures } from './demo-comparison.ts';

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
});
