// @ts-check
// Where the rooms are (used by the door-only lint rule). A room is a folder with an index.ts (its door) under the repository; the files
// inside it, sub-rooms included, talk to each other freely, and code outside it uses only the door.
import { existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

/** @type {Map<string, boolean>} */
const doorCache = new Map();

/** @param {string} folder */
function hasDoor(folder) {
  let known = doorCache.get(folder);
  if (known === undefined) {
    known = existsSync(join(folder, 'index.ts'));
    doorCache.set(folder, known);
  }
  return known;
}

/**
 * The rooms that hold a file, innermost first (absolute folder paths), stopping at the repository root.
 * @param {string} file absolute path
 * @param {string} root absolute repository root
 */
export function roomsHolding(file, root) {
  /** @type {string[]} */
  const rooms = [];
  let folder = dirname(file);
  while (folder.length > root.length && folder.startsWith(root + sep)) {
    if (hasDoor(folder)) rooms.push(folder);
    folder = dirname(folder);
  }
  return rooms;
}

/** @param {string} file @param {string} folder */
function isInside(file, folder) {
  return file.startsWith(folder + sep);
}

/**
 * The room whose door an import goes past, or null when the import is allowed. The innermost room that
 * holds the target but not the importer decides: the target must be that room's index.ts. So a
 * sub-room's door is a door too (main/app may import main/site/federation/index.ts), while a file of
 * main/site/train/models may not reach into main/site/train/data past its index.ts.
 * @param {string} importer absolute path of the importing file
 * @param {string} target absolute path of the imported file
 * @param {string} root absolute repository root
 * @returns {{ room: string, door: string } | null} paths relative to root
 */
export function doorPassed(importer, target, root) {
  const room = roomsHolding(target, root).find((held) => !isInside(importer, held));
  if (room === undefined) return null;
  const door = join(room, 'index.ts');
  if (target === door) return null;
  return { room: relative(root, room), door: relative(root, door) };
}

/**
 * Harness code: specs, test helpers, the browser tests and the benchmarks. Besides doors, it may use
 * another room's test helpers (its second door, for harness code only).
 * @param {string} file path relative to the repository root, with forward slashes
 */
export function isHarnessCode(file) {
  return (
    /\.spec\.ts$/.test(file) ||
    isTestHelper(file) ||
    file.startsWith('e2e/') ||
    file.startsWith('bench/') ||
    file.startsWith('cli/bench/')
  );
}

/**
 * A room's test helpers: files in a testing/ folder, or named test-*.ts, test-support.ts or
 * *-test-support.ts (the older names, before rooms had testing/ folders).
 * @param {string} file path relative to the repository root, with forward slashes
 */
export function isTestHelper(file) {
  return /(^|\/)testing\//.test(file) || /(^|\/)(test-[^/]*|[^/]*-test-support)\.ts$/.test(file);
}
