// The methods `radfed demo --compare` runs: each a task the hub accepts as it is, what its coordinator
// sees read from the method record and the privacy settings, the DP row's budget funding every round;
// and the table's row for each kind of method.
import { describe, expect, it } from 'vitest';
import { privacySpentAfter, taskDefinitionSchema } from '../../shared/federation/index.ts';
import { COMPARE_DEFAULT_ROUNDS, type CompareResult, type CompareRow } from './compare-demo.ts';
import { compareMethods, visibilityOf } from './compare-methods.ts';
import { formatCompareTable } from './compare-report.ts';
import { DEMO_DEFAULTS } from './demo-options.ts';

// The rounds --compare runs by default: the DP row's budget must fund every one of them.
const settings = { ...DEMO_DEFAULTS, rounds: COMPARE_DEFAULT_ROUNDS };

describe('the methods of radfed demo --compare', () => {
  it('are valid tasks, and each says what its coordinator sees', () => {
    const seen = compareMethods(settings).map((m) => [
      m.key,
      visibilityOf(taskDefinitionSchema.parse(m.spec.input)),
    ]);
    expect(Object.fromEntries(seen)).toEqual({
      cyclic: 'each-update',
      fedavg: 'each-update',
      split: 'activations',
      secagg: 'sum',
      dp: 'noised-sum',
      homomorphic: 'nothing',
    });
  });

  it('gives the DP row a budget of ε = 8 that funds every round, on the same network as the others', () => {
    const dp = compareMethods(settings).find((m) => m.key === 'dp')!;
    const definition = taskDefinitionSchema.parse(dp.spec.input);
    expect(definition.model.name).toBe(DEMO_DEFAULTS.model);
    expect(definition.privacy.secureAggregation.enabled).toBe(true);
    const spent = privacySpentAfter(definition, settings.rounds);
    expect(spent.roundsAllowed).toBeGreaterThanOrEqual(settings.rounds);
    expect(spent.epsilon).toBeLessThanOrEqual(8);
    expect(spent.epsilon).toBeGreaterThan(7); // calibrated to the budget, not far below it
  });
});

const row = (
  over: Partial<CompareRow> & Pick<CompareRow, 'key' | 'label' | 'kind' | 'sees'>,
): CompareRow => ({
  auc: 0.9,
  accuracy: 0.8,
  bytesPerSite: 0,
  seconds: 12,
  siteRounds: null,
  ...over,
});

describe('the table of radfed demo --compare', () => {
  it('has a row per method with its bytes, time and what the coordinator sees', () => {
    const result: CompareResult = {
      settings,
      directory: '/tmp/x',
      testImages: 140,
      trainImages: 174,
      modelBytes: 1.22e6,
      rows: [
        row({ key: 'local-a', label: 'Local only: Hospital A', kind: 'local', sees: 'nothing-leaves' }),
        row({
          key: 'homomorphic',
          label: 'FedAvg + homomorphic encryption',
          kind: 'federated',
          sees: 'nothing',
          bytesPerSite: 43.2e6,
          seconds: 1339,
          siteRounds: { in: 29, of: 30 },
        }),
        row({
          key: 'pooled',
          label: 'Pooled (all data in one place)',
          kind: 'pooled',
          sees: 'every-image',
          auc: null,
        }),
      ],
      split: null,
      leakage: [],
      seconds: { setup: 60, methods: 1500, baselines: 100, evaluation: 20, total: 1700 },
    };
    const lines = formatCompareTable(result).split('\n');
    expect(lines[2]).toMatch(
      /^Method\s+AUC {4}Accuracy {2}Sent per site {2}Wall time {2}What the coordinator sees$/,
    );
    expect(lines[4]).toMatch(
      /^Local only: Hospital A\s+0\.900\s+0\.800\s+nothing\s+12 s {2}no coordinator; nothing leaves the site$/,
    );
    expect(lines[5]).toMatch(
      /^FedAvg \+ homomorphic encryption\s+0\.900\s+0\.800\s+43\.2 MB\s+22\.3 min {2}nothing \(ciphertexts only\)$/,
    );
    expect(lines[6]).toMatch(/^Pooled \(all data in one place\)\s+n\/a\s+0\.800/);
    // Every row's columns start at the same place.
    expect(
      new Set(lines.slice(2, 7).map((l) => l.indexOf('  ', 'FedAvg + homomorphic encryption'.length))),
    ).toHaveProperty('size', 1);
    expect(lines).toContain('FedAvg + homomorphic encryption: 1 of 30 site-rounds missed.');
  });
});
