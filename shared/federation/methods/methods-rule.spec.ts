// Keeps "a method is one module": outside this folder no source file decides anything by a method's
// name. It looks the method up (federationMethod) and reads the record. Specs may still pick cases by name.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { METHOD_NAMES } from './index.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ROOMS = ['main', 'hub', 'cli', 'shared', 'renderer'];
/** The one place that may name methods in conditions: the records and their registry. */
const METHODS_FOLDER = 'shared/federation/methods/';

const NAMES = METHOD_NAMES.map((name) => name.replace(/[-]/g, '\\-')).join('|');
const QUOTED = `(['"\`])(?:${NAMES})\\1`;
/** `x === 'cyclic'`, `'krum' !== x`, `case 'fedavgm':`, `LIST.includes(task.strategy.name)`. */
const NAME_BRANCHES = [
  new RegExp(`[!=]==?\\s*${QUOTED}`),
  new RegExp(`${QUOTED}\\s*[!=]==?`),
  new RegExp(`\\bcase\\s+${QUOTED}\\s*:`),
  /\.includes\([^)]*\bstrategy\.name\b/,
];
/** The app's pages share some methods' names (the Swarm page): a branch on the route picks a page, not a method. */
const PAGE_ROUTE = /\broute\s*[!=]==?\s*(['"`])[\w-]+\1/g;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|svelte)$/.test(entry.name) && !/\.(spec|d)\.ts$/.test(entry.name)) out.push(path);
  }
  return out;
}

/** `path:line: text` for each line outside the methods folder that branches on a method's name. */
function methodNameBranches(root: string, rooms: readonly string[]): string[] {
  return rooms
    .flatMap((room) => sourceFiles(join(root, room)))
    .map((path) => relative(root, path).split('\\').join('/'))
    .filter((path) => !path.startsWith(METHODS_FOLDER))
    .flatMap((path) =>
      readFileSync(join(root, path), 'utf8')
        .split('\n')
        .flatMap((line, index) =>
          NAME_BRANCHES.some((pattern) => pattern.test(line)) && !PAGE_ROUTE.test(line)
            ? [`${path}:${index + 1}: ${line.trim()}`]
            : [],
        ),
    );
}

describe('a method is one module', () => {
  it('no source file outside shared/federation/methods branches on a method name (read the record instead)', () => {
    expect(methodNameBranches(ROOT, ROOMS)).toEqual([]);
  });

  const planted = mkdtempSync(join(tmpdir(), 'methods-rule-'));
  afterAll(() => rmSync(planted, { recursive: true, force: true }));

  it('finds a planted name branch, in each form, and leaves the methods folder alone', () => {
    const write = (path: string, text: string) => {
      mkdirSync(join(planted, path, '..'), { recursive: true });
      writeFileSync(join(planted, path), text);
    };
    write(
      'hub/planted-rounds.ts',
      [
        "const needed = definition.strategy.name === 'cyclic' ? 1 : definition.quorum;",
        "if ('trimmed-mean' !== strategy.name) skip();",
        'switch (strategy.name) {',
        "  case 'fedavgm':",
        '}',
        'if (EACH_UPDATE.includes(task.strategy.name)) refuse();',
        "const label = { name: 'fedavg' }; // naming a method is fine; deciding by it is not",
        "{:else if router.route === 'swarm'}",
        "if (route === 'swarm' && strategy.name === 'swarm') {}",
      ].join('\n'),
    );
    write('shared/federation/methods/cyclic.ts', "if (state?.kind === 'cyclic') {}\n");
    write('hub/planted.spec.ts', "if (strategy.name === 'krum') {}\n");
    expect(methodNameBranches(planted, ['hub', 'shared'])).toEqual([
      "hub/planted-rounds.ts:1: const needed = definition.strategy.name === 'cyclic' ? 1 : definition.quorum;",
      "hub/planted-rounds.ts:2: if ('trimmed-mean' !== strategy.name) skip();",
      "hub/planted-rounds.ts:4: case 'fedavgm':",
      'hub/planted-rounds.ts:6: if (EACH_UPDATE.includes(task.strategy.name)) refuse();',
      "hub/planted-rounds.ts:9: if (route === 'swarm' && strategy.name === 'swarm') {}",
    ]);
  });
});
