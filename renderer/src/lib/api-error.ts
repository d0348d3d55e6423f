// A failed call as a sentence for the person at the screen, for every page: pages keep the Problem they
// caught and show it with ProblemMessage.svelte, never their own copy of this logic. Our errors
// (RadfedError, which RadfedApiError extends; told apart with instanceof) are written for people, but some are shared with the command line (a command to run, a file's path) or carry a
// system's words (ENOENT, a tag number): those get plain words first, and the agent's own message
// becomes the technical detail a page can show behind a disclosure (ProblemMessage.svelte). Anything
// that is not an API error (a bug in this screen) gets a general sentence.
import { RadfedError } from '../../../shared/errors.ts';
import { findJargon } from './jargon.ts';

const GENERAL = 'Something went wrong. Try again; if it keeps failing, restart RadFed.';

/** Codes whose agent message is written for the command line: what the screen says instead. */
const PLAIN_WORDS_BY_CODE: Readonly<Record<string, string>> = {
  'not-enrolled':
    'This site is not connected to a hub yet. Ask the coordinator for a token, then connect in Settings (Connect to a hub).',
  'bad-state':
    'RadFed could not read this site’s hub connection: it may be damaged or from another version. Connect to the hub again with a new token from the coordinator.',
};

export interface ProblemWords {
  /** Plain words for the main text. */
  text: string;
  /** The agent's exact message, for a "Technical detail" disclosure; null when the text is all of it. */
  detail: string | null;
}

/**
 * What a page's problem box shows: a call that failed (with the page's own sentence for when the error
 * is not ours), or a sentence the page wrote itself (a file too large, a choice missing).
 */
export type Problem = { error: unknown; fallback?: string } | { text: string };

export function describeProblem(error: unknown, fallback = GENERAL): ProblemWords {
  if (!(error instanceof RadfedError)) return { text: fallback, detail: null };
  const { code, message } = error;
  const byCode = PLAIN_WORDS_BY_CODE[code];
  if (byCode) return { text: byCode, detail: message };
  if (findJargon(message).length === 0) return { text: message, detail: null };
  // Keep the sentences that are plain (often the one saying what to do); the rest is the detail.
  const plain = message
    .split(/(?<=[.!?])\s+/)
    .filter((sentence) => findJargon(sentence).length === 0 && sentence.trim().length > 0);
  const text =
    plain.length > 0
      ? `RadFed could not finish this. ${plain.join(' ')}`
      : 'RadFed could not finish this. The technical detail below can help your IT team.';
  return { text, detail: message };
}

export function problemText(error: unknown, fallback = GENERAL): string {
  return describeProblem(error, fallback).text;
}

/** The words of a page's Problem: its own sentence as it is, or the failed call described. */
export function problemWords(problem: Problem): ProblemWords {
  return 'text' in problem
    ? { text: problem.text, detail: null }
    : describeProblem(problem.error, problem.fallback);
}
