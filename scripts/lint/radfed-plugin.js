// @ts-check
// RadFed's own lint rules, the way Signal Desktop keeps process boundaries in .eslint/rules:
// - door-only: code outside a room imports only the room's index.ts (docs/development.md, "Rooms");
// - renderer-node-free: renderer code imports nothing that needs Node, directly or through what it
//   imports (a shared/ file outside shared/node/ that imported node:crypto would fail here through
//   any door that re-exports it; shared/node-use.spec.ts keeps shared/ free of such files).
import { dirname, relative, resolve, sep } from 'node:path';
import { doorPassed, isHarnessCode, isTestHelper } from './rooms.js';
import { isNodeOnlySpecifier, nodeChainOf, NODE_ONLY_PACKAGES } from './node-only.js';

/** @typedef {import('eslint').Rule.RuleModule} RuleModule */
/** @typedef {import('eslint').Rule.RuleContext} RuleContext */
/** @typedef {import('eslint').Rule.Node} RuleNode */

/**
 * Calls back with each module specifier the file names: imports, re-exports and dynamic imports.
 * Type-only imports are included (the door rule is about structure) unless runtimeOnly is set.
 * @param {(source: import('estree').Literal, node: RuleNode) => void} check
 * @param {{ runtimeOnly?: boolean }} [options]
 * @returns {import('eslint').Rule.RuleListener}
 */
function eachSpecifier(check, { runtimeOnly = false } = {}) {
  /** @param {any} node */
  const onDeclaration = (node) => {
    if (!node.source || typeof node.source.value !== 'string') return;
    if (runtimeOnly && (node.importKind === 'type' || node.exportKind === 'type')) return;
    check(node.source, node);
  };
  return {
    ImportDeclaration: onDeclaration,
    ExportNamedDeclaration: onDeclaration,
    ExportAllDeclaration: onDeclaration,
    /** @param {any} node */
    ImportExpression(node) {
      if (node.source.type === 'Literal' && typeof node.source.value === 'string') check(node.source, node);
    },
  };
}

/** @param {string} path */
const slashed = (path) => path.split(sep).join('/');

/** @type {RuleModule} */
const doorOnly = {
  meta: {
    type: 'problem',
    docs: { description: "Import another room's files only through its index.ts (its door)." },
    schema: [
      {
        type: 'object',
        properties: {
          root: { type: 'string' },
          allow: {
            type: 'array',
            items: {
              type: 'object',
              properties: { from: { type: 'string' }, to: { type: 'string' }, why: { type: 'string' } },
              required: ['from', 'to', 'why'],
              additionalProperties: false,
            },
          },
        },
        additionalProperties: false,
      },
    ],
    messages: {
      pastDoor:
        "'{{target}}' is inside the room {{room}}/: import it through {{door}} (add the export there if it is missing).",
      pastDoorHarness:
        "'{{target}}' is inside the room {{room}}/: import it through {{door}}, or through a test helper in the room's testing/ folder.",
    },
  },
  create(context) {
    const options = context.options[0] ?? {};
    const root = resolve(options.root ?? context.cwd);
    const importer = resolve(context.filename);
    const fromFile = slashed(relative(root, importer));
    const harness = isHarnessCode(fromFile);
    const allowed = new Set(
      (options.allow ?? []).map((/** @type {{from: string, to: string}} */ a) => `${a.from}>${a.to}`),
    );
    return eachSpecifier((source) => {
      const specifier = /** @type {string} */ (source.value);
      if (!specifier.startsWith('.')) return;
      const target = resolve(dirname(importer), specifier);
      const passed = doorPassed(importer, target, root);
      if (!passed) return;
      const toFile = slashed(relative(root, target));
      if (harness && isTestHelper(toFile)) return;
      if (allowed.has(`${fromFile}>${toFile}`)) return;
      context.report({
        node: source,
        messageId: harness ? 'pastDoorHarness' : 'pastDoor',
        data: { target: specifier, room: slashed(passed.room), door: slashed(passed.door) },
      });
    });
  },
};

/** @type {RuleModule} */
const rendererNodeFree = {
  meta: {
    type: 'problem',
    docs: { description: 'Renderer code imports nothing that needs Node, directly or transitively.' },
    schema: [
      {
        type: 'object',
        properties: { nodeOnlyPackages: { type: 'array', items: { type: 'string' } } },
        additionalProperties: false,
      },
    ],
    messages: {
      nodeOnly:
        "'{{target}}' needs Node ({{chain}}): the renderer runs in a sandboxed page. Import Node-free code only (shared/ipc, or a module that does not reach node:*), or ask the agent through the IPC API.",
    },
  },
  create(context) {
    const packages = context.options[0]?.nodeOnlyPackages ?? NODE_ONLY_PACKAGES;
    const importer = resolve(context.filename);
    return eachSpecifier(
      (source) => {
        const specifier = /** @type {string} */ (source.value);
        let chain;
        if (!specifier.startsWith('.')) {
          chain = isNodeOnlySpecifier(specifier, packages) ? [specifier] : null;
        } else if (/\.(ts|js|mjs)$/.test(specifier)) {
          const found = nodeChainOf(resolve(dirname(importer), specifier), packages);
          chain =
            found &&
            found.map((step, i) => (i === found.length - 1 ? step : slashed(relative(context.cwd, step))));
        }
        if (!chain) return;
        context.report({
          node: source,
          messageId: 'nodeOnly',
          data: { target: specifier, chain: chain.join(' → ') },
        });
      },
      { runtimeOnly: true },
    );
  },
};

export default {
  meta: { name: 'radfed' },
  rules: { 'door-only': doorOnly, 'renderer-node-free': rendererNodeFree },
};
