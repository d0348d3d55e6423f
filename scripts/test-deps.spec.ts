// The tests drive real tools (dcmtk, pydicom, Pillow, Orthanc, dciodvfy, Chromium). Several specs skip
// themselves by name where a tool is absent (a developer's laptop); this one fails instead, naming the
// Debian package to install, so a machine that lacks one can never pass `npm test` by skipping.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CHECK = fileURLToPath(new URL('./check-test-deps.sh', import.meta.url));

describe('test dependencies', () => {
  it('every command and Python module the test helpers call is installed (else: the package to install)', () => {
    const result = spawnSync('bash', [CHECK], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
