// Checks electron-builder.yml before a release build can: against electron-builder's own JSON schema
// (node_modules/app-builder-lib/scheme.json, with the ajv and YAML reader electron-builder uses), and
// against what RadFed's installers promise: per-machine NSIS with silent install, MSI with a
// fixed upgrade code, deb/rpm/AppImage, native modules unpacked, fuses flipped, no auto-publish.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const requireFromBuilder = createRequire(
  createRequire(import.meta.url).resolve('app-builder-lib/package.json'),
);

interface AjvValidate {
  (data: unknown): boolean;
  errors?: { instancePath: string; message?: string; params?: Record<string, unknown> }[] | null;
}

export function loadBuilderConfig(file: string): unknown {
  const yaml = requireFromBuilder('js-yaml') as { load(text: string): unknown };
  return yaml.load(readFileSync(file, 'utf8'));
}

export function builderSchemaPath(): string {
  return requireFromBuilder.resolve('app-builder-lib/scheme.json');
}

/** Schema errors as sentences ("configuration/nsis/perMachine must be boolean"); empty when valid. */
// Compiling the schema takes seconds: once per schema file.
const validators = new Map<string, AjvValidate>();

function validatorFor(schemaFile: string): AjvValidate {
  let validate = validators.get(schemaFile);
  if (!validate) {
    const Ajv = (
      requireFromBuilder('ajv') as {
        default: new (options: object) => { compile(schema: unknown): AjvValidate };
      }
    ).default;
    // The options electron-builder validates with (app-builder-lib/out/util/config/schemaValidator.js),
    // but without coercion: a value that only works after coercion is worth fixing.
    validate = new Ajv({ allErrors: true, strict: false }).compile(
      JSON.parse(readFileSync(schemaFile, 'utf8')),
    );
    validators.set(schemaFile, validate);
  }
  return validate;
}

export function schemaErrors(config: unknown, schemaFile = builderSchemaPath()): string[] {
  const validate = validatorFor(schemaFile);
  if (validate(structuredClone(config))) return [];
  return (validate.errors ?? []).map((error) => {
    const extra = error.params?.additionalProperty;
    return `configuration${error.instancePath} ${error.message ?? 'is not valid'}${extra ? ` ("${String(extra)}")` : ''}`;
  });
}

const GUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;

/** The fuses every RadFed build flips (Electron security checklist; docs/installer.md says why). */
export const REQUIRED_FUSES: Readonly<Record<string, boolean>> = {
  runAsNode: false,
  enableCookieEncryption: true,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true,
  grantFileProtocolExtraPrivileges: false,
};

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj => (typeof value === 'object' && value !== null ? (value as Obj) : {});
const targetsOf = (platform: unknown): string[] =>
  ([] as unknown[])
    .concat(obj(platform).target ?? [])
    .map((t) => String(typeof t === 'string' ? t : obj(t).target));

/** What RadFed requires of its installers, beyond the schema; empty when all hold. */
export function policyErrors(raw: unknown): string[] {
  const config = obj(raw);
  const problems: string[] = [];
  const need = (ok: boolean, sentence: string) => {
    if (!ok) problems.push(sentence);
  };
  const win = targetsOf(config.win);
  const linux = targetsOf(config.linux);
  for (const target of ['nsis', 'msi']) need(win.includes(target), `win.target must include ${target}.`);
  for (const target of ['deb', 'rpm', 'AppImage'])
    need(linux.includes(target), `linux.target must include ${target}.`);
  const nsis = obj(config.nsis);
  need(
    nsis.perMachine === true,
    'nsis.perMachine must be true: IT installs RadFed for every user of a workstation.',
  );
  need(
    GUID.test(String(nsis.guid ?? '')),
    'nsis.guid must be a fixed GUID, so upgrades replace the installed copy.',
  );
  const msi = obj(config.msi);
  need(msi.perMachine === true, 'msi.perMachine must be true.');
  need(
    GUID.test(String(msi.upgradeCode ?? '')),
    'msi.upgradeCode must be a fixed GUID: without it each MSI installs beside the last.',
  );
  const unpacked = ([] as unknown[]).concat(config.asarUnpack ?? []).map(String);
  need(config.asar !== false, 'asar must stay on (the asar integrity fuse checks it).');
  need(
    unpacked.some((glob) => glob.includes('better-sqlite3')),
    'asarUnpack must include better-sqlite3 (a native module cannot load from inside the asar).',
  );
  need(
    unpacked.some((glob) => glob.includes('*.node')),
    'asarUnpack must include **/*.node (native modules).',
  );
  need(config.npmRebuild !== false, 'npmRebuild must stay on: native modules are rebuilt for Electron.');
  const fuses = obj(config.electronFuses);
  for (const [fuse, value] of Object.entries(REQUIRED_FUSES)) {
    need(fuses[fuse] === value, `electronFuses.${fuse} must be ${value}.`);
  }
  // Auto-update is off unless IT turns it on (setting app.autoUpdate): builds publish nowhere by themselves.
  need(
    config.publish === null || config.publish === undefined,
    'publish must be null: releases are not uploaded or announced by the build.',
  );
  need(
    obj(config.win).forceCodeSigning !== true,
    'win.forceCodeSigning must stay off: signing is used when CSC_LINK is set.',
  );
  return problems;
}

/** Both checks on one file: every problem, each a sentence. */
export function checkBuilderConfigFile(file: string): string[] {
  let config: unknown;
  try {
    config = loadBuilderConfig(file);
  } catch (error) {
    return [`${file} could not be read as YAML: ${(error as Error).message.split('\n')[0]}`];
  }
  return [...schemaErrors(config), ...policyErrors(config)];
}
