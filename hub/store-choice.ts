// Where a hub keeps its state: the embedded SQLite file and blob folder of its hub folder (the default),
// or a PostgreSQL database shared by replicas, with blobs either in that database or in a folder every
// replica mounts. `radfed hub init --database …` records the choice in store.json (mode 0600: the URL
// carries the database password) so every command given that hub folder, and every replica started
// from a copy of it, opens the same store; `--database` on a command overrides it.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomically } from '../shared/node/index.ts';
import { HubError } from './hub-errors.ts';

/** 'postgres': blobs in the database; a folder: blobs and upload spools there (shared by replicas). */
export type BlobsChoice = { readonly kind: 'postgres' } | { readonly kind: 'folder'; readonly path: string };

export interface StoreChoice {
  /** postgres://… ; absent: the hub folder's SQLite file. */
  readonly database?: string;
  readonly blobs?: BlobsChoice;
}

const storeFileSchema = z.object({
  format: z.literal(1),
  database: z.string().min(1),
  blobs: z.string().min(1).optional(),
});

export function storeFileOf(dir: string): string {
  return join(dir, 'store.json');
}

/** Reads --blobs: `postgres` or `folder:/absolute/path`. */
export function parseBlobsChoice(value: string): BlobsChoice {
  if (value === 'postgres') return { kind: 'postgres' };
  if (value.startsWith('folder:')) {
    const path = value.slice('folder:'.length);
    if (isAbsolute(path)) return { kind: 'folder', path };
  }
  throw new HubError(
    'bad-blobs-choice',
    400,
    '--blobs takes `postgres` (blobs in the database) or `folder:/absolute/path` (a folder every replica mounts).',
  );
}

export function blobsChoiceText(choice: BlobsChoice): string {
  return choice.kind === 'postgres' ? 'postgres' : `folder:${choice.path}`;
}

/** The choice recorded in dir/store.json, or {} (SQLite) when the hub has none. */
export function readStoreChoice(dir: string): StoreChoice {
  const file = storeFileOf(dir);
  if (!existsSync(file)) return {};
  let parsed: z.infer<typeof storeFileSchema>;
  try {
    parsed = storeFileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    throw new HubError(
      'bad-store-file',
      500,
      `${file} is not a store file RadFed wrote; write it again with \`radfed hub init --database …\` on a new folder, or remove it to use the folder's SQLite database.`,
    );
  }
  return {
    database: parsed.database,
    ...(parsed.blobs ? { blobs: parseBlobsChoice(parsed.blobs) } : {}),
  };
}

export function writeStoreChoice(
  dir: string,
  choice: Required<Pick<StoreChoice, 'database'>> & StoreChoice,
): void {
  const body = {
    format: 1,
    database: choice.database,
    ...(choice.blobs ? { blobs: blobsChoiceText(choice.blobs) } : {}),
  };
  writeFileAtomically(storeFileOf(dir), `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
}

/** The recorded choice with a command's flags laid over it. */
export function storeChoiceFor(dir: string, flags: StoreChoice): StoreChoice {
  const recorded = readStoreChoice(dir);
  const database = flags.database ?? recorded.database;
  const blobs = flags.blobs ?? recorded.blobs;
  if (database === undefined && blobs !== undefined)
    throw new HubError(
      'blobs-without-database',
      400,
      '--blobs goes with --database: a hub on its SQLite file keeps its blobs in its own folder.',
    );
  return { ...(database ? { database } : {}), ...(blobs ? { blobs } : {}) };
}
