// @ts-check
// Which modules need Node: a module needs Node when it imports a Node built-in (node:crypto, fs, …) or
// a package that only runs in Node, or when a module it imports at run time needs Node. Type-only
// imports (`import type`, `export type`) are erased and do not count; `import { type X }` does, since
// verbatimModuleSyntax keeps it as a side-effect import. Used by the renderer-node-free lint rule and
// by shared/node-use.spec.ts.
import { readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';

/** Packages that run only in Node (native addons, servers, Node-only APIs). */
export const NODE_ONLY_PACKAGES = [
  'better-sqlite3',
  'fastify',
  'pino',
  'webgpu',
  'dcmjs-dimse',
  'electron',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
];

const builtins = new Set(builtinModules);

/**
 * Whether a bare import specifier names Node-only code.
 * @param {string} specifier
 * @param {readonly string[]} [packages]
 */
export function isNodeOnlySpecifier(specifier, packages = NODE_ONLY_PACKAGES) {
  if (specifier.startsWith('node:')) return true;
  const top = specifier.split('/')[0] ?? specifier;
  if (builtins.has(top) || builtins.has(specifier)) return true;
  return packages.some((name) => specifier === name || specifier.startsWith(`${name}/`));
}

/**
 * The run-time imports of a TypeScript or JavaScript file: static imports and re-exports that are not
 * type-only, and dynamic imports of a string literal.
 * @param {string} file absolute path
 * @returns {string[]}
 */
export function runtimeImportsOf(file) {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  /** @type {string[]} */
  const found = [];
  /** @param {ts.Node} node */
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.importClause?.isTypeOnly) found.push(node.moduleSpecifier.text);
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      if (!node.isTypeOnly) found.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** @type {Map<string, { mtimeMs: number, imports: string[] }>} */
const importCache = new Map();

/**
 * runtimeImportsOf, parsed once per version of the file; null when the file cannot be read.
 * @param {string} file absolute path
 */
function cachedImportsOf(file) {
  let mtimeMs;
  try {
    mtimeMs = statSync(file).mtimeMs;
  } catch {
    return null; // a missing file is the type checker's to report
  }
  const cached = importCache.get(file);
  if (cached && cached.mtimeMs === mtimeMs) return cached.imports;
  const imports = runtimeImportsOf(file);
  importCache.set(file, { mtimeMs, imports });
  return imports;
}

/**
 * The shortest import chain from a file to the Node-only module it reaches (the file first, the
 * Node-only specifier last), or null when it runs anywhere. Follows relative imports of .ts and .js
 * files, breadth first, so the chain reported is the shortest.
 * @param {string} file absolute path
 * @param {readonly string[]} [packages]
 * @returns {string[] | null}
 */
export function nodeChainOf(file, packages = NODE_ONLY_PACKAGES) {
  /** @type {Map<string, string | null>} file -> the file that imported it first */
  const parent = new Map([[file, null]]);
  /** @param {string} end @param {string} specifier */
  const chainTo = (end, specifier) => {
    const chain = [specifier];
    for (let at = /** @type {string | null} */ (end); at !== null; at = parent.get(at) ?? null)
      chain.unshift(at);
    return chain;
  };
  const queue = [file];
  for (let next = 0; next < queue.length; next++) {
    const current = /** @type {string} */ (queue[next]);
    for (const specifier of cachedImportsOf(current) ?? []) {
      if (!specifier.startsWith('.')) {
        if (isNodeOnlySpecifier(specifier, packages)) return chainTo(current, specifier);
        continue;
      }
      if (!/\.(ts|js|mjs)$/.test(specifier)) continue;
      const target = resolve(dirname(current), specifier);
      if (parent.has(target)) continue;
      parent.set(target, current);
      queue.push(target);
    }
  }
  return null;
}
