import { describe, expect, it } from 'vitest';
import { RadfedError } from './errors.ts';
import { errorCode, errorForLog, loggableErrorText, safeCode, safeMessage } from './log-safety.ts';
import {
  carriesPlanted,
  foreignErrorsQuotingInput,
  PLANTED_NAME,
  PLANTED_PATH,
} from './log-safety-test-support.ts';

describe('log safety: the one rule for what of an error may be logged or shown', () => {
  it('the planted errors really do quote the identifier or the path (else this spec proves nothing)', () => {
    for (const error of foreignErrorsQuotingInput()) expect(carriesPlanted(error.message)).toBe(true);
  });

  it.each(foreignErrorsQuotingInput().map((error) => [error.name, error] as const))(
    'a foreign %s: no identifier, path or value comes out of any helper',
    (_name, error) => {
      expect(carriesPlanted(errorForLog(error))).toBe(false);
      expect(carriesPlanted(errorCode(error))).toBe(false);
      expect(safeMessage(error)).toBeNull();
      // Wrapped by one of ours as its cause: the cause is described by the same rule.
      const wrapped = new RadfedError('import-failed', 'The import stopped.', { cause: error });
      expect(carriesPlanted(errorForLog(wrapped))).toBe(false);
    },
  );

  it('keeps what is safe: our code, sentence and hint; a system code; the class; the stack frames', () => {
    const ours = new RadfedError('not-dicom', 'This file is not DICOM. Remove it from the folder.', {
      hint: 'Remove it from the folder.',
    });
    expect(errorForLog(ours)).toMatchObject({
      type: 'RadfedError',
      code: 'not-dicom',
      message: 'This file is not DICOM. Remove it from the folder.',
      hint: 'Remove it from the folder.',
    });
    expect(safeMessage(ours)).toBe('This file is not DICOM. Remove it from the folder.');
    const [enoent, syntax] = foreignErrorsQuotingInput();
    expect(errorForLog(enoent)).toMatchObject({ type: 'Error', code: 'ENOENT' });
    expect(errorForLog(enoent).stack).toMatch(/^\s+at /);
    expect(errorCode(enoent)).toBe('ENOENT');
    expect(errorCode(syntax)).toBe('SyntaxError');
    expect(safeCode(syntax)).toBeNull();
  });

  it('text logged under `error` passes when it reads as a code, and is replaced when it could be input', () => {
    expect(loggableErrorText('ENOENT')).toBe('ENOENT');
    expect(loggableErrorText('unknown error')).toBe('unknown error');
    expect(loggableErrorText(PLANTED_PATH)).not.toContain(PLANTED_NAME);
    expect(loggableErrorText(PLANTED_NAME)).not.toContain(PLANTED_NAME);
    expect(loggableErrorText(`ENOENT: open '${PLANTED_PATH}'`)).not.toContain(PLANTED_NAME);
  });

  it('follows a cycle of causes without looping', () => {
    const a = new RadfedError('a', 'A.');
    const b = new RadfedError('b', 'B.', { cause: a });
    Object.defineProperty(a, 'cause', { value: b });
    expect(errorForLog(b).cause?.cause?.cause?.cause).toBeUndefined();
  });
});
