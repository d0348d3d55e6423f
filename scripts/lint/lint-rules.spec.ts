// Each of our lint rules fails on a planted violation and passes the compliant version, through
// ESLint's Node API with the project's own eslint.config.js. lintText lints the planted text as if it
// were the file at a path; the paths are real files (their text is not read) because the type-aware
// rules need a file the tsconfig's project holds, and the path decides which room the text is in.
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { ESLint, type Linter } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
let eslint: ESLint;

const AT = {
  ingest: 'main/site/ingest/index.ts',
  dicom: 'main/site/dicom/index.ts',
  trainModels: 'main/site/train/models/index.ts',
  federation: 'main/site/federation/index.ts',
  federationSpec: 'main/site/federation/heartbeat.spec.ts',
  renderer: 'renderer/src/lib/dates.ts',
  rendererComponent: 'renderer/src/lib/DateTime.svelte',
  receiver: 'main/site/receiver/received-file.ts',
  hubServer: 'hub/server/body-admission.ts',
};

// Building the TypeScript programs for the type-aware rules takes a while on a busy 2-core machine.
beforeAll(async () => {
  eslint = new ESLint({ cwd: ROOT });
  await rulesHit(AT.receiver, 'export {};\n');
  await rulesHit(AT.rendererComponent, '<script lang="ts"></script>\n');
}, 300_000);

/** The ids of the rules that report on a snippet linted as if it lived at `path`. */
async function rulesHit(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
  const messages: Linter.LintMessage[] = result?.messages ?? [];
  const fatal = messages.filter((m) => m.fatal);
  if (fatal.length > 0) throw new Error(`could not lint ${path}: ${fatal.map((m) => m.message).join('; ')}`);
  return messages.map((m) => m.ruleId ?? '');
}

describe('radfed/door-only: no import past another room’s index.ts', () => {
  it("fails product code that reaches into another room's file", async () => {
    const code = "import type { Tag } from '../dicom/model.ts';\nexport type T = Tag;\n";
    expect(await rulesHit(AT.ingest, code)).toContain('radfed/door-only');
  });

  it('passes the same import through the door, and a room importing its own files', async () => {
    const door = "import type { Tag } from '../dicom/index.ts';\nexport type T = Tag;\n";
    expect(await rulesHit(AT.ingest, door)).not.toContain('radfed/door-only');
    const own = "import type { Tag } from './model.ts';\nexport type T = Tag;\n";
    expect(await rulesHit(AT.dicom, own)).not.toContain('radfed/door-only');
  });

  it("fails a sub-room reaching past a sibling sub-room's door", async () => {
    const code =
      "import { SeededRandom } from '../data/seeded-random.ts';\nexport const r = new SeededRandom(1);\n";
    expect(await rulesHit(AT.trainModels, code)).toContain('radfed/door-only');
  });

  it("lets a spec use another room's test helpers, but not its other files", async () => {
    const helper =
      "import { makeTestHub } from '../../../hub/testing/test-hub.ts';\nexport const s = makeTestHub;\n";
    expect(await rulesHit(AT.federationSpec, helper)).not.toContain('radfed/door-only');
    const inside = "import { createTask } from '../../../hub/tasks.ts';\nexport const c = createTask;\n";
    expect(await rulesHit(AT.federationSpec, inside)).toContain('radfed/door-only');
  });

  it("does not let product code use another room's test helpers", async () => {
    const helper =
      "import { makeTestHub } from '../../../hub/testing/test-hub.ts';\nexport const s = makeTestHub;\n";
    expect(await rulesHit(AT.federation, helper)).toContain('radfed/door-only');
  });
});

describe('radfed/renderer-node-free: the renderer imports no Node-only code', () => {
  // shared/node's door needs Node only through its files (atomic-file.ts imports node:fs): transitive.
  it("fails a renderer import that reaches node:* through what it imports (shared/node's door)", async () => {
    const code =
      "import { writeFileAtomically } from '../../../shared/node/index.ts';\nexport const w = writeFileAtomically;\n";
    expect(await rulesHit(AT.renderer, code)).toContain('radfed/renderer-node-free');
  });

  it('passes a type-only import of the same module, and the Node-free IPC contract', async () => {
    const types =
      "import type { AtomicWriteOptions } from '../../../shared/node/index.ts';\nexport type O = AtomicWriteOptions;\n";
    expect(await rulesHit(AT.renderer, types)).not.toContain('radfed/renderer-node-free');
    const ipc =
      "import { ipcContract } from '../../../shared/ipc/index.ts';\nexport const c = ipcContract;\n";
    expect(await rulesHit(AT.renderer, ipc)).not.toContain('radfed/renderer-node-free');
  });
});

describe('type-aware promise rules', () => {
  const declare = 'async function save(): Promise<void> {}\n';

  it('no-floating-promises fails a promise nobody awaits, and passes an awaited or voided one', async () => {
    const path = AT.receiver;
    expect(await rulesHit(path, `${declare}export function f(): void {\n  save();\n}\n`)).toContain(
      '@typescript-eslint/no-floating-promises',
    );
    const handled = `${declare}export async function f(): Promise<void> {\n  await save();\n  void save().catch(() => undefined);\n}\n`;
    expect(await rulesHit(path, handled)).toEqual([]);
  });

  it('no-misused-promises fails an async callback where a void one is expected', async () => {
    const path = AT.hubServer;
    const misused = `${declare}export function f(names: string[]): void {\n  names.forEach(async () => {\n    await save();\n  });\n}\n`;
    expect(await rulesHit(path, misused)).toContain('@typescript-eslint/no-misused-promises');
    const fine = `${declare}export async function f(names: string[]): Promise<void> {\n  for (const _name of names) await save();\n}\n`;
    expect(await rulesHit(path, fine)).toEqual([]);
  });

  it('applies to Svelte components in the renderer too', async () => {
    const component = `<script lang="ts">\n  async function save(): Promise<void> {}\n  save();\n</script>\n`;
    expect(await rulesHit(AT.rendererComponent, component)).toContain(
      '@typescript-eslint/no-floating-promises',
    );
  });
});

describe('synchronous tensor reads', () => {
  const declare = 'declare const t: { dataSync(): Float32Array; data(): Promise<Float32Array> };\n';

  it('fail in product code (WebGPU in Node cannot read synchronously) and pass as an awaited read', async () => {
    const sync = `${declare}export const values = t.dataSync();\n`;
    expect(await rulesHit(AT.federation, sync)).toContain('no-restricted-syntax');
    const awaited = `${declare}export const values = await t.data();\n`;
    expect(await rulesHit(AT.federation, awaited)).not.toContain('no-restricted-syntax');
  });

  it('pass in a spec, which chooses its backend', async () => {
    const sync = `${declare}export const values = t.dataSync();\n`;
    expect(await rulesHit(AT.federationSpec, sync)).not.toContain('no-restricted-syntax');
  });
});

describe("door-only's reviewed exceptions", () => {
  it('are each still needed: the importer still imports that file', async () => {
    const config = (await import('../../eslint.config.js')).default as Linter.Config[];
    const allow = config.flatMap((block) => {
      const setting = block.rules?.['radfed/door-only'];
      const options: unknown = Array.isArray(setting) ? setting[1] : undefined;
      return (options as { allow?: { from: string; to: string }[] } | undefined)?.allow ?? [];
    });
    expect(allow.length).toBeGreaterThan(0);
    for (const { from, to } of allow) {
      const text = readFileSync(join(ROOT, from), 'utf8');
      const targets = [...text.matchAll(/from '(\.[^']+)'/g)].map((m) =>
        relative(ROOT, resolve(dirname(join(ROOT, from)), m[1] ?? ''))
          .split(sep)
          .join('/'),
      );
      expect(targets, `${from} no longer imports ${to}: remove the exception`).toContain(to);
    }
  });
});
