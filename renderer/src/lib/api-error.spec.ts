import { describe, expect, it } from 'vitest';
import { RadfedApiError } from '../../../shared/ipc/index.ts';
import { describeProblem, problemText, problemWords } from './api-error.ts';
import { findJargon } from './jargon.ts';

/** An error as the API object rejects with: a message and the agent's code. */
const apiError = (code: string, message: string) => new RadfedApiError(code, message);

describe('describeProblem', () => {
  it('passes a plain sentence from the agent through unchanged', () => {
    const error = apiError('folder-not-found', 'That folder does not exist. Check its name and try again.');
    expect(describeProblem(error)).toEqual({
      text: 'That folder does not exist. Check its name and try again.',
      detail: null,
    });
  });

  it('puts a file path and a system code behind the detail, keeping the sentence that says what to do', () => {
    const message =
      'Cannot open the site database at /tmp/site/site.db: ENOENT. Check that the folder exists and this user may write to it.';
    const words = describeProblem(apiError('cannot-open', message));
    expect(words.text).toBe(
      'RadFed could not finish this. Check that the folder exists and this user may write to it.',
    );
    expect(words.detail).toBe(message);
    expect(findJargon(words.text)).toEqual([]);
  });

  it('says a command-line instruction in the screen’s words (not enrolled)', () => {
    const message =
      'This site is not enrolled with a hub yet. Ask the coordinator for a token, then run\n  radfed site enroll --dir /tmp/x --hub https://HUB:8443 --token rft1....';
    const words = describeProblem(apiError('not-enrolled', message));
    expect(words.text).toMatch(/connect in Settings/);
    expect(words.text).not.toMatch(/radfed site|\/tmp\//);
    expect(words.detail).toBe(message);
  });

  it('gives the general sentence for an error that is not the API’s', () => {
    expect(problemText(new TypeError('x is undefined'))).toMatch(/^Something went wrong/);
    expect(problemText(new TypeError('x'), 'The list could not be loaded.')).toBe(
      'The list could not be loaded.',
    );
  });
});

describe('problemWords', () => {
  it('tells our errors from others by their class, not by a code property', () => {
    const lookalike = Object.assign(new Error('ENOENT: /data/DOE^JANE/ct.dcm'), { code: 'enoent' });
    expect(problemWords({ error: lookalike, fallback: 'The file could not be read.' })).toEqual({
      text: 'The file could not be read.',
      detail: null,
    });
  });

  it("shows a page's own sentence as it is", () => {
    expect(problemWords({ text: 'This file is larger than 700 KB.' })).toEqual({
      text: 'This file is larger than 700 KB.',
      detail: null,
    });
  });
});
