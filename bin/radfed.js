#!/usr/bin/env node
// The `radfed` command. Runs the bundle in dist/cli (built on `npm ci`) when it is up to date, and the
// TypeScript sources through tsx otherwise, so `npx radfed` works right after `npm ci` and always runs
// the code that is in the tree.
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = `${root}dist/cli/main.js`;

function newestSourceTime(folder) {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceTime(path));
    else if (entry.name.endsWith('.ts') || entry.name.endsWith('.json'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function bundleIsCurrent() {
  try {
    const built = statSync(bundle).mtimeMs;
    return ['cli', 'main/site', 'main/demo', 'shared', 'hub'].every(
      (folder) => newestSourceTime(`${root}${folder}`) <= built,
    );
  } catch {
    return false;
  }
}

let entry;
if (bundleIsCurrent()) {
  entry = await import(bundle);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = await import('../cli/main.ts');
}
process.exitCode = await entry.main(process.argv.slice(2));
