// Which shared/ files need Node. shared/ is for code used by more than one process, and the renderer
// is one of them: a file that imports node:* (or a Node-only package) belongs in shared/node/, where
// the name says so and ESLint keeps the renderer out. The files below predate that split; each is
// reviewed, and the list only shrinks: a new file that needs Node fails here until it lives in
// shared/node/. The lint rule radfed/renderer-node-free (scripts/lint) checks the renderer's imports
// transitively; this spec keeps the inventory.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isNodeOnlySpecifier, nodeChainOf, runtimeImportsOf } from '../scripts/lint/node-only.js';

const ROOT = join(import.meta.dirname, '..');
const SHARED = join(ROOT, 'shared');

/** Files outside shared/node/ that import Node at run time, and what for. Move, don't add. */
const REVIEWED_NODE_USERS: Record<string, string> = {};

function sharedSources(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === 'node' && folder === SHARED ? [] : sharedSources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

const relativeToRoot = (path: string): string => relative(ROOT, path).split('\\').join('/');

describe('shared/ code that needs Node', () => {
  const users = sharedSources(SHARED)
    .filter((file) => runtimeImportsOf(file).some((specifier) => isNodeOnlySpecifier(specifier)))
    .map(relativeToRoot)
    .sort();

  it('lives in shared/node/, or is on the reviewed list of files still to move there', () => {
    const unreviewed = users.filter((file) => !(file in REVIEWED_NODE_USERS));
    expect(unreviewed, 'these import node:* or a Node-only package: put them in shared/node/').toEqual([]);
  });

  it('the reviewed list names only files that still need Node (it shrinks as files move)', () => {
    const stale = Object.keys(REVIEWED_NODE_USERS).filter((file) => !users.includes(file));
    expect(stale, 'these no longer import Node here: remove them from REVIEWED_NODE_USERS').toEqual([]);
  });

  it("finds Node through what a file imports: shared/node's door reaches node:* through its files", () => {
    const chain = nodeChainOf(join(SHARED, 'node', 'index.ts'));
    expect(chain?.length).toBeGreaterThan(2);
    expect(chain?.at(-1)).toMatch(/^node:/);
  });

  it('the IPC contract the renderer imports runs anywhere', () => {
    expect(nodeChainOf(join(SHARED, 'ipc', 'index.ts'))).toBeNull();
  });

  it("the federation and privacy rooms' doors run anywhere (their Node halves are in shared/node/)", () => {
    expect(nodeChainOf(join(SHARED, 'federation', 'index.ts'))).toBeNull();
    expect(nodeChainOf(join(SHARED, 'privacy', 'index.ts'))).toBeNull();
    for (const half of ['federation', 'secagg', 'privacy']) {
      expect(nodeChainOf(join(SHARED, 'node', half, 'index.ts')), half).not.toBeNull();
    }
  });
});
