// dicom3tools' dciodvfy (Debian dicom3tools), an independent validator of DICOM IODs, run over many
// files by a small pool of processes. What it calls errors is read back as a set of normalised lines,
// so that an input's errors and its de-identified output's errors can be compared.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export const DCIODVFY = '/usr/bin/dciodvfy';

export const hasDciodvfy = (): boolean => existsSync(DCIODVFY);

/**
 * De-identification remaps every UID, so the same fault in an input and its output names two UIDs
 * ("StudyInstanceUID has same value as FrameOfReferenceUID <1.2.3.4>"): UIDs compare as one token.
 * A UID is three or more dotted numbers (a decimal such as 0.5 is left alone), or whatever follows
 * "UID " ("ReferencedSOPInstanceUID 0", which the remapping turns into a real UID).
 */
const UID = /(?<=UID )[\d.]+|\d+(?:\.\d+){2,}/g;

/** The line standing for a validator that stopped on an internal assertion instead of a report. */
export const VALIDATOR_ABORTED = 'dciodvfy aborted';

export interface Conformance {
  /** Normalised "Error - ..." lines, each once. */
  errors: Set<string>;
  /** dciodvfy died on a signal (it asserts on some valid inputs, e.g. 32-bit OW pixel data). */
  aborted: boolean;
}

/** The error lines of one dciodvfy report, UIDs normalised; warnings are not conformance errors. */
export function errorLines(report: string): Set<string> {
  const errors = new Set<string>();
  for (const line of report.split('\n')) {
    if (line.startsWith('Error - ')) errors.add(line.trimEnd().replace(UID, '<uid>'));
  }
  return errors;
}

function validate(path: string): Promise<Conformance> {
  return new Promise((resolve, reject) => {
    // dciodvfy writes its report to stderr; stdout is read too so neither pipe can fill and block it.
    const child = spawn(DCIODVFY, [path], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      const errors = errorLines(Buffer.concat(chunks).toString('latin1'));
      if (signal) errors.add(VALIDATOR_ABORTED);
      resolve({ errors, aborted: signal !== null });
    });
  });
}

/**
 * Validates every path, at most `concurrency` at a time (default: the cores, at most 2, since the
 * test machines are small and share them), and returns the results by path.
 */
export async function validateAll(
  paths: readonly string[],
  concurrency = Math.min(2, availableParallelism()),
): Promise<Map<string, Conformance>> {
  const results = new Map<string, Conformance>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const path = paths[next++] as string;
      results.set(path, await validate(path));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return results;
}

/** The errors the output has that its input did not. */
export const introducedErrors = (input: Conformance, output: Conformance): string[] =>
  [...output.errors].filter((e) => !input.errors.has(e)).sort();
