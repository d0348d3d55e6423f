// A schema's refusal in words that quote no input: zod 4 names an unknown key and puts a record's keys
// in the path, and a patient's name or ID may be either.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeSchemaIssues, issuePath } from './schema-issues.ts';

const schema = z.strictObject({
  labels: z.array(z.enum(['normal', 'nodule'])),
  studyDate: z.strictObject({ from: z.string().regex(/^\d{4}-\d\d-\d\d$/) }),
  counts: z.record(z.string(), z.number()),
  name: z.string().max(4),
});

function issuesOf(value: unknown) {
  const parsed = schema.safeParse(value);
  if (parsed.success) throw new Error('parsed');
  return parsed.error.issues;
}

describe('describeSchemaIssues', () => {
  it('names paths and expected types, never a value, an unknown key or a record key', () => {
    const issues = issuesOf({
      labels: ['normal', 'DOE^JOHN'],
      studyDate: { from: 'PID-7731' },
      counts: { 'PID-7731': 'DOE^JOHN', doe: 'x' },
      name: 'DOE^JOHN',
      'DOE^JOHN': 1,
      'PID-7731': 2,
      lables: [],
    });
    // zod's own words do quote them: the reason this exists.
    expect(JSON.stringify(issues.map((i) => [i.path, i.message]))).toContain('PID-7731');
    const text = describeSchemaIssues(issues, { shown: 10 });
    for (const part of ['DOE^JOHN', 'PID-7731', '7731']) expect(text).not.toContain(part);
    expect(text).toContain(
      'the top level: has 3 fields that do not belong here (lables; 2 more, not named here: a name may be a value); remove them',
    );
    expect(text).toContain('labels.1: Invalid option: expected one of "normal"|"nodule"');
    expect(text).toContain('counts.[a key]: Invalid input: expected number, received string');
    expect(text).toContain('name: Too big: expected string to have <=4 characters');
  });

  it('says how many more there are past those shown', () => {
    const issues = issuesOf({ labels: ['a', 'b', 'c'], studyDate: {}, counts: {}, name: 'x' });
    expect(describeSchemaIssues(issues, { shown: 2 })).toMatch(/ \(and 2 more\)$/);
  });

  it('keeps our field names and numbers in a path, and hides any other key', () => {
    expect(issuePath(['filters', 'studyDate', 'from'])).toBe('filters.studyDate.from');
    expect(issuePath(['labels', 0])).toBe('labels.0');
    expect(issuePath(['counts', 'Doe John', 'n'])).toBe('counts.[a key].n');
    expect(issuePath([])).toBe('');
  });
});
