import { describe, expect, it } from 'vitest';
import { RadfedError, isRadfedError } from './errors.ts';

class FolderError extends RadfedError<'folder-not-found'> {
  override readonly name = 'FolderError';
}

describe('RadfedError, the root of our own errors', () => {
  it('keeps the code, the sentence and the subclass name, and is still an Error', () => {
    const error = new FolderError('folder-not-found', 'The folder was not found. Check its name.');
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(RadfedError);
    expect(error).toBeInstanceOf(FolderError);
    expect(error.code).toBe('folder-not-found');
    expect(error.name).toBe('FolderError');
    expect(error.message).toBe('The folder was not found. Check its name.');
    expect(String(error)).toBe('FolderError: The folder was not found. Check its name.');
  });

  it('carries a hint and a cause only when given (no empty keys on an error without them)', () => {
    const cause = new Error('ENOSPC: /srv/input/Doe^John/1.dcm');
    const withBoth = new RadfedError('disk-full', 'The disk is full.', { cause, hint: 'Free some space.' });
    expect(withBoth.hint).toBe('Free some space.');
    expect(withBoth.cause).toBe(cause);
    const plain = new RadfedError('disk-full', 'The disk is full.');
    expect(Object.keys(plain)).not.toContain('hint');
    expect('cause' in plain).toBe(false);
  });

  it('tells our errors from everything else', () => {
    expect(isRadfedError(new FolderError('folder-not-found', 'x'))).toBe(true);
    const nodeError = Object.assign(new Error('ENOENT: no such file, open /srv/a.dcm'), { code: 'ENOENT' });
    expect(isRadfedError(nodeError)).toBe(false);
    expect(isRadfedError('folder-not-found')).toBe(false);
  });
});
