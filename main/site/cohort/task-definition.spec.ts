// Task definitions: validation with messages that say where the problem is, and tasks kept in a real
// site database (add, replace, list, default resolution, audit).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../audit/index.ts';
import { openSiteDatabase, type SiteDatabase } from '../store/index.ts';
import {
  CohortError,
  parseTaskDefinition,
  readTaskFile,
  TaskStore,
  type TaskDefinitionInput,
} from './index.ts';

const TASK: TaskDefinitionInput = { id: 'chest-nodule', name: 'Lung nodule', labels: ['normal', 'nodule'] };

const problem = (raw: unknown): string => {
  try {
    parseTaskDefinition(raw, 'task.json');
  } catch (error) {
    expect(error).toBeInstanceOf(CohortError);
    expect((error as CohortError).code).toBe('bad-task');
    return (error as Error).message;
  }
  throw new Error('expected the task to be refused');
};

describe('task definition', () => {
  it('fills in the defaults: no filters, 20% validation, seed 0', () => {
    expect(parseTaskDefinition(TASK)).toEqual({ ...TASK, filters: {}, validationFraction: 0.2, seed: 0 });
  });

  it('upper-cases modality and body part code strings', () => {
    const task = parseTaskDefinition({
      ...TASK,
      filters: { modalities: ['ct', 'dx'], bodyParts: [' chest '] },
    });
    expect(task.filters).toEqual({ modalities: ['CT', 'DX'], bodyParts: ['CHEST'] });
  });

  it('names the field at fault for each kind of mistake', () => {
    expect(problem({ ...TASK, lables: ['a', 'b'] })).toMatch(/task\.json .*the top level: .*lables/);
    expect(problem({ ...TASK, labels: ['normal'] })).toMatch(/labels: needs at least two labels/);
    expect(problem({ ...TASK, labels: ['Normal', 'normal'] })).toMatch(/labels: must not repeat a label/);
    expect(problem({ ...TASK, id: 'Chest Nodule' })).toMatch(/id: must be lower-case/);
    expect(problem({ ...TASK, filters: { seriesDescription: '(unclosed' } })).toMatch(
      /filters\.seriesDescription: must be a valid regular expression/,
    );
    expect(problem({ ...TASK, filters: { studyDate: { from: '2015-02-30' } } })).toMatch(
      /filters\.studyDate\.from: must be a date written YYYY-MM-DD/,
    );
    expect(problem({ ...TASK, filters: { studyDate: { from: '2016-01-01', to: '2015-01-01' } } })).toMatch(
      /filters\.studyDate: "from" must not be after "to"/,
    );
    expect(problem({ ...TASK, validationFraction: 1 })).toMatch(/validationFraction/);
    expect(problem({ ...TASK, filters: { modalities: ['C-T'] } })).toMatch(
      /filters\.modalities\.0: must be a DICOM code string/,
    );
  });

  it('reads a task file, and says so when it is not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'radfed-task-'));
    try {
      writeFileSync(join(dir, 'ok.json'), `\uFEFF${JSON.stringify(TASK)}`);
      expect(readTaskFile(join(dir, 'ok.json')).id).toBe('chest-nodule');
      writeFileSync(join(dir, 'bad.json'), '{ "id": "x", }');
      expect(() => readTaskFile(join(dir, 'bad.json'))).toThrow(/bad\.json is not valid JSON/);
      expect(() => readTaskFile(join(dir, 'missing.json'))).toThrow(/Cannot read the task file .*ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('task store', () => {
  let dir: string;
  let db: SiteDatabase;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'radfed-tasks-'));
    db = openSiteDatabase(join(dir, 'site.db'));
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds a task, refuses the same id again, and replaces it when asked', () => {
    const store = new TaskStore(db);
    expect(store.add(parseTaskDefinition(TASK))).toEqual({ created: true, labelsDropped: 0 });
    expect(() => store.add(parseTaskDefinition(TASK))).toThrow(/already exists.*--replace/);
    const renamed = parseTaskDefinition({ ...TASK, name: 'Nodules v2', seed: 5 });
    expect(store.add(renamed, { replace: true }).created).toBe(false);
    expect(store.get('chest-nodule')?.definition).toEqual(renamed);
    const types = new AuditLog(db).list().map((e) => e.type);
    expect(types.filter((t) => t.startsWith('task.'))).toEqual(['task.added', 'task.replaced']);
  });

  it('resolves the named task, else the default, else the only one, and says what to do otherwise', () => {
    const store = new TaskStore(db);
    expect(() => store.resolve()).toThrow(expect.objectContaining({ code: 'no-task' }));
    store.add(parseTaskDefinition(TASK));
    expect(store.resolve().id).toBe('chest-nodule');
    store.add(parseTaskDefinition({ ...TASK, id: 'second' }));
    expect(() => store.resolve()).toThrow(/2 tasks and none is the default.*chest-nodule, second/);
    store.add(parseTaskDefinition({ ...TASK, id: 'third' }), { makeDefault: true });
    expect(store.resolve().id).toBe('third');
    store.add(parseTaskDefinition({ ...TASK, id: 'second' }), { replace: true, makeDefault: true });
    expect(
      store
        .list()
        .filter((t) => t.isDefault)
        .map((t) => t.definition.id),
    ).toEqual(['second']);
    expect(store.resolve('chest-nodule').id).toBe('chest-nodule');
    expect(() => store.resolve('nope')).toThrow(expect.objectContaining({ code: 'task-not-found' }));
  });
});
