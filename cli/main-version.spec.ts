// `radfed --version` names the release the protocol sentences name (RADFED_RELEASE), not a copy of it.
// The release is mocked to one no build has, so a version written into cli/main.ts fails this test.
import { describe, expect, it, vi } from 'vitest';
import type * as Federation from '../shared/federation/index.ts';

vi.mock('../shared/federation/index.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof Federation>()),
  RADFED_RELEASE: '9.8.7',
}));

describe('radfed --version', () => {
  it('prints RADFED_RELEASE from shared/federation/protocol-version.ts', async () => {
    const { buildProgram } = await import('./main.ts');
    const program = await buildProgram(['--version']);
    expect(program.version()).toBe('9.8.7');
  });
});
