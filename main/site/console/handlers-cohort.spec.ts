// The Training data page's handlers on a real site: a task saved from the form's shape (empty fields
// mean "no filter"), a labels CSV imported from its bytes with every line not applied reported by
// number and no accession number sent back, and the cohort with its exclusions.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SiteTaskInput } from '../../../shared/ipc/index.ts';
import { synthesizeStudies, type SynthResult } from '../synth/index.ts';
import { openHandlersTestSite, type HandlersTestSite } from './handlers-test-site.ts';

let site: HandlersTestSite;
let synth: SynthResult;
beforeAll(async () => {
  site = openHandlersTestSite();
  synth = await synthesizeStudies({
    outDir: join(site.root, 'synth'),
    sites: 1,
    patients: 4,
    seed: 3,
    radiographSize: 32,
    modalities: ['RADIOGRAPH'],
  });
  await site.agent.ingest(join(site.root, 'synth', 'site-01'));
}, 120_000);
afterAll(() => site?.close());

const task = (overrides: Partial<SiteTaskInput> = {}): SiteTaskInput => ({
  id: 'chest-nodule',
  name: 'Lung nodule',
  labels: ['normal', 'nodule', ''],
  filters: {
    modalities: ['dx', ' CR ', ''],
    bodyParts: [],
    seriesDescription: '  ',
    studyDate: { from: '' },
  },
  consentScope: '',
  validationFraction: 0.25,
  seed: 1,
  ...overrides,
});
const base64 = (text: string) => Buffer.from(text).toString('base64');

describe('cohort handlers', () => {
  it('saves a task from the form, leaving empty fields out, and refuses a bad one in words', async () => {
    await expect(site.call('cohort:tasks', undefined)).resolves.toEqual([]);
    const saved = await site.call('cohort:save-task', { task: task(), replace: false, makeDefault: true });
    if (!saved.saved) throw new Error(`not saved: ${JSON.stringify(saved.fieldErrors)}`);
    expect(saved.created).toBe(true);
    expect(saved.tasks).toMatchObject([
      {
        id: 'chest-nodule',
        labels: ['normal', 'nodule'],
        filters: { modalities: ['DX', 'CR'] },
        isDefault: true,
        labelledStudies: 0,
      },
    ]);
    expect(saved.tasks[0]).not.toHaveProperty('consentScope');
    expect(saved.tasks[0]?.filters).toEqual({ modalities: ['DX', 'CR'] });

    const again = await site.raw('cohort:save-task', { task: task(), replace: false, makeDefault: false });
    expect(again).toMatchObject({ ok: false, error: { code: 'task-exists' } });
    const bad = await site.raw('cohort:save-task', {
      task: task({ id: 'Chest Nodule', labels: ['only one'] }),
      replace: false,
      makeDefault: false,
    });
    expect(bad).toEqual({
      ok: true,
      value: {
        saved: false,
        fieldErrors: {
          id: expect.stringMatching(/^Use only lower-case letters, digits and dashes/),
          labels: expect.stringMatching(/^Give at least two labels/),
        },
      },
    });
    await expect(site.call('cohort:tasks', undefined)).resolves.toHaveLength(1);
  });

  it('answers an empty form field by field in plain words, not as a fault of the screen', async () => {
    const empty = await site.raw('cohort:save-task', {
      task: {
        id: '',
        name: '',
        labels: [],
        filters: { modalities: [], bodyParts: [], seriesDescription: '(', studyDate: { from: '2020-02-30' } },
        consentScope: '',
        validationFraction: 0.95,
        seed: 0,
      },
      replace: false,
      makeDefault: true,
    });
    expect(empty).toEqual({
      ok: true,
      value: {
        saved: false,
        fieldErrors: {
          id: 'Give the task a short ID, e.g. chest-nodule.',
          name: 'Give the task a name people will recognise, e.g. Lung nodule.',
          labels: expect.stringMatching(/^Give at least two labels/),
          seriesDescription: expect.stringMatching(/^This pattern cannot be used/),
          dateFrom: 'Give a real date, or leave it empty.',
          validationPercent: 'Keep between 0 and 90 % of patients for validation.',
        },
      },
    });
    // Nothing technical reaches the person: no JSON paths, no source files, no "fault in the screen".
    expect(JSON.stringify(empty)).not.toMatch(/filters\.|README|\.ts|fault|restart/);
  });

  it('imports labels and reports each line not applied by number, never its accession number', async () => {
    const csv = readFileSync(synth.labels['site-01']!, 'utf8');
    const lines = csv.trimEnd().split('\n');
    const firstKey = lines[1]!.split(',')[0]!;
    const extra = [`NOSUCH123456,normal`, `${firstKey},maybe`, `,nodule`, lines[1]!];
    const view = await site.call('cohort:import-labels', {
      csvBase64: base64([...lines, ...extra].join('\n') + '\n'),
      replace: false,
    });
    const n = lines.length; // header + studies: the extra rows start at line n + 1
    expect(view).toMatchObject({
      taskId: 'chest-nodule',
      key: 'accession',
      added: lines.length - 1,
      studiesLabelled: lines.length - 1,
    });
    expect(view.problems).toEqual([
      { line: n + 1, message: expect.stringMatching(/^matches no de-identified study/) },
      {
        line: n + 2,
        message: expect.stringMatching(/^its label is not one of this task's labels \(.+\); not applied\.$/),
      },
      { line: n + 3, message: 'has no key; not applied.' },
    ]);
    expect(view.duplicateLines).toBe(1);
    const text = JSON.stringify(view);
    expect(text).not.toContain('NOSUCH123456');
    expect(text).not.toContain(firstKey);
  });

  it('summarises the cohort per label and split, with the exclusions and their reasons', async () => {
    const cohort = await site.call('cohort:summary', {});
    expect(cohort.task).toEqual({
      id: 'chest-nodule',
      name: 'Lung nodule',
      validationFraction: 0.25,
      seed: 1,
    });
    const studies = (rows: { studies: number }[]) => rows.reduce((sum, r) => sum + r.studies, 0);
    const labelled = (await site.call('cohort:tasks', undefined))[0]!.labelledStudies;
    const noConsent = cohort.excluded.find((x) => x.reason === 'no-consent')!;
    const filtered = cohort.excluded.find((x) => x.reason === 'filtered-out')!;
    // Every labelled study is in the cohort or left out for a reason (no consent, or filtered out).
    expect(studies(cohort.train) + studies(cohort.validation) + noConsent.studies + filtered.studies).toBe(
      labelled,
    );
    expect(studies(cohort.train)).toBeGreaterThan(0);
    expect(cohort.images.train).toBeGreaterThan(0);
    expect(cohort.train.map((l) => l.label)).toEqual(['normal', 'nodule']);
    expect(cohort.excluded.map((x) => x.reason)).toEqual(['no-consent', 'filtered-out', 'no-label']);
    expect(filtered.explanation).toMatch(/series removed by modality \d+/);

    // Patients are counted once each: a patient with studies under both labels is in two label rows,
    // so the rows' sum may be larger; the cohort's count never exceeds the patients stored (it once said 38 with 30 stored).
    const stored = (await site.call('site:status', undefined)).counts.patients;
    const rowSum = (rows: { patients: number }[]) => rows.reduce((sum, r) => sum + r.patients, 0);
    expect(cohort.patients.train + cohort.patients.validation).toBe(cohort.patients.total);
    expect(cohort.patients.total).toBeLessThanOrEqual(stored);
    expect(cohort.patients.total).toBeLessThanOrEqual(rowSum(cohort.train) + rowSum(cohort.validation));
    expect(cohort.patients.total).toBeGreaterThan(0);

    await expect(site.raw('cohort:summary', { taskId: 'no-such-task' })).resolves.toMatchObject({
      ok: false,
      error: { code: 'task-not-found' },
    });
  });

  it('refuses a payload that is not base64 before it reaches the cohort room', async () => {
    const answer = await site.raw('cohort:import-labels', { csvBase64: 'not base64!', replace: false });
    expect(answer).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
  });
});
