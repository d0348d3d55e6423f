import { afterEach, describe, expect, it, vi } from 'vitest';
import { carriesPlanted, foreignErrorsQuotingInput } from '../shared/log-safety-test-support.ts';
import { CliError, reportFailure } from './failure.ts';

function stderrOf(error: unknown): string {
  let text = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  try {
    expect(reportFailure(error)).toBe(1);
  } finally {
    spy.mockRestore();
  }
  return text;
}

const savedDebug = process.env.RADFED_DEBUG;
afterEach(() => {
  if (savedDebug === undefined) delete process.env.RADFED_DEBUG;
  else process.env.RADFED_DEBUG = savedDebug;
});

describe('reportFailure: what the command prints when it cannot run', () => {
  it.each(foreignErrorsQuotingInput().map((error) => [error.name, error] as const))(
    'a foreign %s: prints its code or class, never the path or identifier in its message',
    (_name, error) => {
      delete process.env.RADFED_DEBUG;
      const printed = stderrOf(error);
      expect(carriesPlanted(printed), printed).toBe(false);
      expect(printed).toMatch(/^radfed: /);
    },
  );

  it('a system refusal (ENOENT) says to check what the command was given, not that it is a bug', () => {
    delete process.env.RADFED_DEBUG;
    const printed = stderrOf(foreignErrorsQuotingInput()[0]);
    expect(printed).toContain('(ENOENT)');
    expect(printed).not.toContain('bug');
  });

  it('our own error: its sentence, and no bug report', () => {
    delete process.env.RADFED_DEBUG;
    expect(stderrOf(new CliError('The folder is not a site. Run `radfed site init` first.'))).toBe(
      'radfed: The folder is not a site. Run `radfed site init` first.\n',
    );
  });
});
