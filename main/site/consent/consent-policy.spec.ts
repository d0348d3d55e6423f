import { describe, expect, it } from 'vitest';
import { decideConsent, normalizeScope, type ConsentFact, type ConsentStatus } from './consent-policy.ts';

let nextId = 1;
const fact = (status: ConsentStatus, date: string, scope = ''): ConsentFact => ({
  status,
  date,
  scope,
  id: nextId++,
});

describe('the consent rule', () => {
  it('opt-in: only a patient whose entry in force is granted is in', () => {
    expect(decideConsent('opt-in', [], '')).toMatchObject({ in: false, status: null });
    expect(decideConsent('opt-in', [], '').reason).toMatch(/opt-in/);
    expect(decideConsent('opt-in', [fact('granted', '2024-01-01')], '').in).toBe(true);
    expect(decideConsent('opt-in', [fact('refused', '2024-01-01')], '').in).toBe(false);
    expect(decideConsent('opt-in', [fact('withdrawn', '2024-01-01')], '').in).toBe(false);
  });

  it('opt-out: everyone is in except a patient whose entry in force is refused or withdrawn', () => {
    expect(decideConsent('opt-out', [], '')).toEqual({ in: true, status: null, reason: null });
    expect(decideConsent('opt-out', [fact('granted', '2024-01-01')], '').in).toBe(true);
    expect(decideConsent('opt-out', [fact('refused', '2024-01-01')], '')).toMatchObject({
      in: false,
      reason: 'consent refused',
    });
    expect(decideConsent('opt-out', [fact('withdrawn', '2024-01-01')], '').reason).toBe('consent withdrawn');
  });

  it('a site made before the policy existed (not-set) still honours refusals and withdrawals', () => {
    expect(decideConsent('not-set', [], '').in).toBe(true);
    expect(decideConsent('not-set', [fact('withdrawn', '2024-01-01')], '').in).toBe(false);
  });

  it('the latest dated entry wins, whatever the order of recording', () => {
    const history = [fact('withdrawn', '2024-06-01'), fact('granted', '2023-01-01')];
    expect(decideConsent('opt-in', history, '')).toMatchObject({ in: false, status: 'withdrawn' });
    const regranted = [...history, fact('granted', '2024-09-01')];
    expect(decideConsent('opt-in', regranted, '')).toMatchObject({ in: true, status: 'granted' });
  });

  it('on one date, the entry recorded last wins', () => {
    const history = [fact('granted', '2024-06-01'), fact('refused', '2024-06-01')];
    expect(decideConsent('opt-in', history, '').status).toBe('refused');
    expect(decideConsent('opt-in', [...history, fact('granted', '2024-06-01')], '').status).toBe('granted');
  });

  it('a scoped entry speaks only for its scope; an unscoped one for every scope', () => {
    const chestGrant = [fact('granted', '2024-01-01', 'chest imaging research')];
    expect(decideConsent('opt-in', chestGrant, 'chest imaging research').in).toBe(true);
    expect(decideConsent('opt-in', chestGrant, 'cardiac research').in).toBe(false);
    expect(decideConsent('opt-in', chestGrant, '').in).toBe(false);
    const everything = [fact('granted', '2024-01-01')];
    expect(decideConsent('opt-in', everything, 'cardiac research').in).toBe(true);
    const laterChestRefusal = [...everything, fact('refused', '2024-05-01', 'chest imaging research')];
    expect(decideConsent('opt-in', laterChestRefusal, 'cardiac research').in).toBe(true);
    expect(decideConsent('opt-in', laterChestRefusal, 'chest imaging research')).toMatchObject({
      in: false,
      reason: 'consent refused for "chest imaging research"',
    });
  });

  it('a use without a scope is kept from anyone who refused any scope (it cannot be shown to fall outside)', () => {
    const history = [fact('refused', '2024-01-01', 'genetics')];
    expect(decideConsent('opt-out', history, 'chest imaging research').in).toBe(true);
    expect(decideConsent('opt-out', history, '')).toMatchObject({ in: false, status: 'refused' });
    // A later grant for every use outweighs the older scoped refusal.
    expect(decideConsent('opt-out', [...history, fact('granted', '2024-03-01')], '').in).toBe(true);
  });

  it('compares scopes without regard to case or spacing', () => {
    expect(normalizeScope('  Chest   Imaging\tResearch ')).toBe('chest imaging research');
    const history = [fact('granted', '2024-01-01', normalizeScope('Chest Imaging Research'))];
    expect(decideConsent('opt-in', history, 'CHEST imaging  research').in).toBe(true);
  });
});
