// Keeps a foreign error's message out of our sentences: outside the files named here with their
// reason, no source file puts `(error as Error).message` into a message, a reason or an answer. Node's,
// SQLite's, JSON.parse's and zod's messages quote their input (shared/log-safety.ts); say our own
// error's sentence (`safeMessage`), else the other error's code (`errorCode`), and word a parse failure
// with shared/json-text.ts or shared/schema-issues.ts. A planted violation shows the rule can fail.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const ROOMS = ['main', 'hub', 'cli', 'shared'];

/** A caught error's message read as if it were ours: `(error as Error).message`, `e instanceof Error ? e.message`. */
const FOREIGN_MESSAGE =
  /\(\s*\w+\s+as\s+(Error|NodeJS\.ErrnoException)\s*\)\.message|instanceof Error \? \w+\.message/;

/** Where a foreign message is known to carry no input, and why. */
const ALLOWED: Record<string, string> = {
  'cli/hub-commands.ts': "--proxy-from: checkProxyAddresses's sentence about the operator's own addresses",
  'main/app/packaging/builder-config-check.ts': "the project's own electron-builder.yml, read at build time",
  'main/site/train/split/trunk-keeper.ts':
    "a trunk the hub could not build from the task's model: tfjs's words",
  'main/site/train/backend/webgpu-dawn.ts': 'a GPU module that did not load',
  'main/site/train/backend/select-backend.ts': 'a training backend that did not load',
  'shared/node/sqlite-database.ts': "SQLite's open and migration messages on the program's own database",
  'main/site/train/data/codecs.ts': "a pixel codec's own words (Emscripten throws numbers and fixed strings)",
  'main/site/train/bench/gpu-check.ts': "the benchmark's GPU probe: no input",
  'hub/store/postgres-connection.ts': "pg's message matched against fixed words, never shown",
  // Left to the swarm's owner (reported): a step's foreign error reaches the swarm's screen as it is.
  'main/site/swarm/swarm-service.ts': 'not yet reviewed',
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.') || entry.name === 'testing') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    // Specs and test helpers read messages to check them; the rule is for what runs.
    else if (
      /\.ts$/.test(entry.name) &&
      !/\.(spec|d)\.ts$/.test(entry.name) &&
      !/^test-|test-support\.ts$/.test(entry.name)
    )
      out.push(path);
  }
  return out;
}

function breaking(files: readonly string[], read: (path: string) => string): string[] {
  return files.filter((path) => !(path in ALLOWED) && FOREIGN_MESSAGE.test(read(path)));
}

describe('a foreign error message in our sentences', () => {
  const files = ROOMS.flatMap((room) => sourceFiles(join(ROOT, room))).map((path) =>
    relative(ROOT, path).split('\\').join('/'),
  );

  it('appears only where it is known to carry no input', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(breaking(files, (path) => readFileSync(join(ROOT, path), 'utf8'))).toEqual([]);
  });

  it('is found when planted', () => {
    const planted = 'throw new CohortError("bad-task", `not JSON (${(error as Error).message})`);';
    expect(breaking(['main/site/cohort/planted.ts'], () => planted)).toEqual(['main/site/cohort/planted.ts']);
    expect(breaking(['main/site/cohort/clean.ts'], () => 'safeMessage(error) ?? errorCode(error)')).toEqual(
      [],
    );
  });

  it('names only files that exist', () => {
    for (const path of Object.keys(ALLOWED)) expect(files, path).toContain(path);
  });
});
