import { describe, expect, it } from 'vitest';
import { compileRuleBook, primitiveOf, resolveRule } from './action-resolution.ts';
import { ACTION_CODES, profileTable } from './profile-table.ts';

describe('Table E.1-1 (2026a) as loaded', () => {
  const table = profileTable();

  it('has the 651 single-tag rows and the four pattern rows', () => {
    expect(table.rows.size).toBe(651);
    expect(table.patterns['private-attributes'].basic).toBe('X');
    expect(table.patterns['private-attributes'].options['retain-safe-private']).toBe('C');
    expect(table.patterns['curve-data'].options['clean-graphics']).toBe('C');
  });

  it('uses every action code of the legend', () => {
    const used = new Set([...table.rows.values()].map((r) => r.basic));
    expect([...used].sort()).toEqual([...ACTION_CODES].filter((c) => c !== 'K' && c !== 'C').sort());
  });

  it('reads the 2026a change to Requesting Service and the rows added after 2024b', () => {
    expect(table.rows.get(0x00321033)?.options['clean-descriptors']).toBe('C');
    expect(table.rows.get(0x00100012)?.basic).toBe('X'); // Name to Use, added after 2024b
  });

  it("lets an option's cell replace the Basic Profile action, and C win over K", () => {
    const row = table.rows.get(0x00181200); // Date of Last Calibration: X, device K, modified dates C
    if (!row) throw new Error('row missing');
    expect(resolveRule(row, new Set()).code).toBe('X');
    expect(resolveRule(row, new Set(['retain-device-identity'])).code).toBe('K');
    expect(resolveRule(row, new Set(['retain-device-identity', 'retain-long-modified-dates'])).code).toBe(
      'C',
    );
    expect(compileRuleBook(['retain-uids']).rules.get(0x00080018)?.code).toBe('K');
  });

  it('resolves compound codes without IOD types to a choice valid for any Type', () => {
    expect(primitiveOf('Z/D', 'DA')).toBe('D');
    expect(primitiveOf('X/Z', 'DA')).toBe('Z');
    expect(primitiveOf('X/D', 'LO')).toBe('D');
    expect(primitiveOf('X/D', 'SQ')).toBe('X');
    expect(primitiveOf('X/Z/D', 'SQ')).toBe('Z');
    expect(primitiveOf('X/Z/U*', 'SQ')).toBe('U');
  });
});
