// Every worker the command starts by URL (`new Worker(new URL('./x-entry.js', import.meta.url))`) is an
// entry of the bundle (scripts/build-cli.mjs), so the bundled command finds it beside its chunks: the
// hub's homomorphic summation worker was missing, and a bundled hub never finished a homomorphic round.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

it('bundles every worker the command loads by URL', () => {
  const build = readFileSync(join(ROOT, 'scripts', 'build-cli.mjs'), 'utf8');
  const workers = ['cli', 'hub', 'main', 'shared'].flatMap((room) =>
    sources(join(ROOT, room)).flatMap((path) =>
      [...readFileSync(path, 'utf8').matchAll(/new Worker\(\s*new URL\('\.\/([\w-]+)\.js'/g)].map((m) => ({
        file: relative(ROOT, path),
        entry: m[1]!,
      })),
    ),
  );
  expect(workers.map((w) => w.entry).sort()).toEqual([
    'deid-worker-entry',
    'gemm-worker-entry',
    'sum-worker-entry',
  ]);
  for (const { file, entry } of workers) expect(build, `${file} loads ${entry}.js`).toContain(`'${entry}':`);
});
