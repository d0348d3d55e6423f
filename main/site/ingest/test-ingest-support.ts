// For the ingest specs that need real processes: the `radfed` command run as a child (its own stdout,
// stderr and peak memory, killable with SIGKILL), CT files of any size made sparse (a header, then
// pixel data that is a hole on disk), and a scan of a folder's bytes for a patient's name.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCtFile } from '../batch/test-files.ts';
import { currentOwner } from './ingest-owner.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const RADFED = join(ROOT, 'bin', 'radfed.js');
/** The patient name every writeCtFile file carries. */
export const FAKE_PATIENT = 'HOLLOWAY';

/**
 * A CT slice whose pixel data value is `pixelBytes` long, all but its first bytes a hole: a file of
 * any size that costs the disk a few kilobytes. Returns its size.
 */
export function writeSparseCt(path: string, fileNumber: number, pixelBytes: number): number {
  const small = 16;
  const bytes = writeCtFile(path, fileNumber, small);
  // The pixel data (OW, explicit VR) is last: its 4-byte length sits just before its 16 bytes.
  const lengthAt = bytes.length - small - 4;
  const length = Buffer.alloc(4);
  length.writeUInt32LE(pixelBytes);
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, length, 0, 4, lengthAt);
  } finally {
    closeSync(fd);
  }
  const size = bytes.length - small + pixelBytes;
  truncateSync(path, size);
  return size;
}

export interface CliRun {
  child: ChildProcess;
  /** Resolves when the command exits, with what it printed and its peak memory (KiB). */
  done: Promise<{
    status: number | null;
    signal: string | null;
    out: string;
    err: string;
    maxRssKiB: number;
  }>;
}

/**
 * Runs `radfed …` in a child process. Its peak resident memory is read from the child itself at
 * exit (process.resourceUsage), through a module loaded first with --import. `asUnprivileged`
 * drops the capabilities that let root read any file, so a mode-000 file is unreadable to it too.
 */
export function startRadfed(
  work: string,
  args: string[],
  options: { asUnprivileged?: boolean } = {},
): CliRun {
  const rssFile = join(work, `rss-${Date.now()}-${Math.random().toString(16).slice(2)}.txt`);
  const preload = join(work, 'report-rss.mjs');
  writeFileSync(
    preload,
    "import { writeFileSync } from 'node:fs';\n" +
      'process.on("exit", () => writeFileSync(process.env.RADFED_TEST_RSS_FILE, String(process.resourceUsage().maxRSS)));\n',
  );
  const node = [process.execPath, '--import', preload, RADFED, ...args];
  const dropRoot = options.asUnprivileged && process.getuid?.() === 0;
  const command = dropRoot
    ? ['setpriv', '--bounding-set', '-dac_override,-dac_read_search', '--inh-caps', '-all', ...node]
    : node;
  const child = spawn(command[0] as string, command.slice(1), {
    cwd: ROOT,
    env: { ...process.env, RADFED_TEST_RSS_FILE: rssFile, RADFED_DEBUG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const done = new Promise<Awaited<CliRun['done']>>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => {
      let maxRssKiB = 0;
      try {
        maxRssKiB = Number(readFileSync(rssFile, 'utf8'));
      } catch {
        // Killed: no figure.
      }
      resolve({ status, signal, out, err, maxRssKiB });
    });
  });
  return { child, done };
}

export async function runRadfedChild(
  work: string,
  args: string[],
  options: { asUnprivileged?: boolean } = {},
) {
  return startRadfed(work, args, options).done;
}

/**
 * Files under `dir` (any depth) whose first 4 MiB contain `text`, e.g. the fake patient's name (a
 * header is far shorter; the pixel data of these test files never spells a name).
 */
export function filesContaining(dir: string, text: string): string[] {
  const needle = Buffer.from(text, 'latin1');
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => headOf(path, 4 * 1024 * 1024).includes(needle));
}

function headOf(path: string, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    return buffer.subarray(0, readSync(fd, buffer, 0, length, 0));
  } finally {
    closeSync(fd);
  }
}

/** Waits until `ready()` is true, checking every few milliseconds (not a timing assertion: a wait). */
export async function waitFor(ready: () => boolean, what: string, limitMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!ready()) {
    if (Date.now() - start > limitMs) throw new Error(`Gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The owner name of a process that has exited: this host, a pid that no longer runs. */
export function goneOwner(): string {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  const [host] = currentOwner().split('_');
  return `${host}_${child.stdout.toString()}_1`;
}
