import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkBuilderConfigFile,
  loadBuilderConfig,
  policyErrors,
  schemaErrors,
} from './builder-config-check.ts';

const realConfig = () => loadBuilderConfig('electron-builder.yml') as Record<string, Record<string, unknown>>;
const dir = mkdtempSync(join(tmpdir(), 'radfed-builder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('electron-builder.yml', () => {
  it('passes electron-builder\u2019s schema and RadFed\u2019s installer rules', () => {
    expect(checkBuilderConfigFile('electron-builder.yml')).toEqual([]);
  });
});

describe('schemaErrors', () => {
  it('names an option electron-builder does not know', () => {
    const config = realConfig();
    config.nsis!.perMachineForAll = true;
    expect(schemaErrors(config)).toContainEqual(
      expect.stringMatching(/configuration\/nsis .*"perMachineForAll"/),
    );
  });

  it('names a value of the wrong type', () => {
    const config = realConfig();
    config.msi!.perMachine = 'yes';
    expect(schemaErrors(config)).toContainEqual('configuration/msi/perMachine must be boolean');
  });
});

describe('policyErrors', () => {
  it('refuses a per-user NSIS, an MSI without a fixed upgrade code, and a fuse left on', () => {
    const config = realConfig();
    config.nsis!.perMachine = false;
    delete config.msi!.upgradeCode;
    config.electronFuses!.runAsNode = true;
    expect(policyErrors(config)).toEqual([
      'nsis.perMachine must be true: IT installs RadFed for every user of a workstation.',
      'msi.upgradeCode must be a fixed GUID: without it each MSI installs beside the last.',
      'electronFuses.runAsNode must be false.',
    ]);
  });

  it('refuses a build that packs native modules into the asar or drops a Linux target', () => {
    const config = realConfig() as Record<string, unknown>;
    config.asarUnpack = ['**/*.wasm'];
    (config.linux as Record<string, unknown>).target = ['deb', 'AppImage'];
    expect(policyErrors(config)).toEqual([
      'linux.target must include rpm.',
      'asarUnpack must include better-sqlite3 (a native module cannot load from inside the asar).',
      'asarUnpack must include **/*.node (native modules).',
    ]);
  });

  it('refuses a build that publishes updates by itself', () => {
    const config = realConfig() as Record<string, unknown>;
    config.publish = { provider: 'generic', url: 'https://updates.example.org' };
    expect(policyErrors(config)).toEqual([expect.stringMatching(/^publish must be null/)]);
  });
});

describe('checkBuilderConfigFile', () => {
  it('reports a file that is not YAML in one sentence', () => {
    const file = join(dir, 'broken.yml');
    writeFileSync(file, 'appId: [unclosed\n');
    expect(checkBuilderConfigFile(file)).toEqual([expect.stringMatching(/could not be read as YAML/)]);
  });
});
