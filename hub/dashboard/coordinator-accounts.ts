// Coordinator passwords for the hub dashboard: scrypt hashes (never passwords), the rules for names and
// passwords, and the accounts file older hubs kept in the hub folder (coordinators.json), read once to
// import it into the database (accounts-import.ts). The accounts themselves live in the hub's database
// (coordinator-rows.ts), so every replica of a hub knows the same coordinators.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DashboardError } from './dashboard-errors.ts';

/** The accounts file of hubs before migration 8; renamed to IMPORTED_ACCOUNTS_FILE once imported. */
export const ACCOUNTS_FILE = 'coordinators.json';
export const IMPORTED_ACCOUNTS_FILE = 'coordinators.json.imported';
export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 1024;
const USER_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** scrypt cost, one of OWASP's recommended settings (N = 2^15, r = 8, p = 3): 32 MiB and a few hundred
 * milliseconds per check. Stored with each hash, so a later, higher cost applies to new passwords only. */
export const SCRYPT_COST = { N: 2 ** 15, r: 8, p: 3, keyLength: 32 } as const;

export const passwordHashSchema = z.object({
  N: z
    .number()
    .int()
    .min(2 ** 10),
  r: z.number().int().min(1),
  p: z.number().int().min(1),
  keyLength: z.number().int().min(16),
  salt: z.string().min(16),
  hash: z.string().min(16),
});
const accountSchema = z.object({
  user: z.string().regex(USER_NAME),
  scrypt: passwordHashSchema,
  changedAt: z.string(),
});
const fileSchema = z.object({ format: z.literal(1), accounts: z.array(accountSchema) });

export type PasswordHash = z.infer<typeof passwordHashSchema>;
export type CoordinatorAccount = z.infer<typeof accountSchema>;

function derive(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const options: ScryptOptions = {
    N: cost.N,
    r: cost.r,
    p: cost.p,
    maxmem: 256 * cost.N * cost.r + 1024 * 1024,
  };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, cost.keyLength, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

export type ScryptCost = Omit<PasswordHash, 'salt' | 'hash'>;

export async function hashPassword(password: string, cost: ScryptCost = SCRYPT_COST): Promise<PasswordHash> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, cost);
  return { ...cost, salt: salt.toString('base64'), hash: hash.toString('base64') };
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  const expected = Buffer.from(stored.hash, 'base64');
  const actual = await derive(password, Buffer.from(stored.salt, 'base64'), {
    ...stored,
    keyLength: expected.length,
  });
  return timingSafeEqual(actual, expected);
}

/** A hash of a random password: checked when the user name is unknown, so the answer takes as long. */
let decoy: Promise<PasswordHash> | undefined;
export function decoyHash(): Promise<PasswordHash> {
  decoy ??= hashPassword(randomBytes(24).toString('base64'));
  return decoy;
}

export function accountsFilePath(hubDir: string): string {
  return join(hubDir, ACCOUNTS_FILE);
}

/** The accounts in an older hub's coordinators.json; undefined when the folder has none. */
export function readAccountsFile(hubDir: string): CoordinatorAccount[] | undefined {
  const path = accountsFilePath(hubDir);
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new DashboardError(
      'bad-accounts-file',
      `The coordinator accounts file ${path} cannot be read as JSON, so its accounts were not moved into the hub database; remove it and set the passwords again with \`radfed hub coordinator set-password\`.`,
      { cause: error },
    );
  }
  const file = fileSchema.safeParse(parsed);
  if (!file.success) {
    throw new DashboardError(
      'bad-accounts-file',
      `The coordinator accounts file ${path} is not in the expected form, so its accounts were not moved into the hub database; remove it and set the passwords again with \`radfed hub coordinator set-password\`.`,
    );
  }
  return file.data.accounts;
}

export function checkUserName(user: string): string {
  if (!USER_NAME.test(user)) {
    throw new DashboardError(
      'bad-user-name',
      'A coordinator name is 1 to 64 letters, digits, dots, dashes or underscores (for example "coordinator").',
    );
  }
  return user;
}

export function checkPasswordStrength(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new DashboardError(
      'weak-password',
      `The password is too short: use at least ${MIN_PASSWORD_LENGTH} characters (a passphrase of a few words is good).`,
    );
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new DashboardError(
      'weak-password',
      `The password is too long: ${MAX_PASSWORD_LENGTH} characters at most.`,
    );
  }
}

/** A random password for `--generate`: 20 characters from an alphabet without look-alikes. */
export function generatePassword(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(40);
  let out = '';
  for (const byte of bytes) {
    // Rejection sampling keeps every character equally likely.
    if (byte < 256 - (256 % alphabet.length)) out += alphabet[byte % alphabet.length];
    if (out.length === 20) break;
  }
  return out.length === 20 ? out : generatePassword();
}
