// What every hub service works with: the folder's layout and settings, the keys, the store, a clock,
// the limits, and an event bus that wakes long-polling sites when a task changes. Built once per
// process (server or CLI command) and passed in, never reached for as a global.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InProcessHubEvents, type HubEvents } from './hub-events.ts';
import { HubError } from './hub-errors.ts';
import {
  hubLayout,
  loadHubKeys,
  readHubConfig,
  type HubConfig,
  type HubKeys,
  type HubLayout,
} from './setup/index.ts';
import { readStoreChoice, storeChoiceFor, type StoreChoice } from './store-choice.ts';
import { HubStore, openPostgresHubStore } from './store/index.ts';

export interface HubLimits {
  /** Largest JSON request body. */
  readonly maxJsonBytes: number;
  /** Largest chunk of an upload (one request body). */
  readonly maxChunkBytes: number;
  /** Chunk size offered when the site asks for none. */
  readonly defaultChunkBytes: number;
  /** Largest whole upload (a sealed update or initial model). */
  readonly maxUploadBytes: number;
}

export const DEFAULT_LIMITS: HubLimits = {
  maxJsonBytes: 1024 * 1024,
  maxChunkBytes: 16 * 1024 * 1024,
  defaultChunkBytes: 4 * 1024 * 1024,
  maxUploadBytes: 4 * 1024 * 1024 * 1024,
};

export interface HubContext {
  readonly layout: HubLayout;
  readonly config: HubConfig;
  readonly keys: HubKeys;
  readonly store: HubStore;
  readonly limits: HubLimits;
  readonly now: () => number;
  /** Publishes on taskChannel(id) whenever something a site can see about that task changed. */
  readonly events: HubEvents;
}

export interface HubContextOptions {
  now?: () => number;
  limits?: Partial<HubLimits>;
}

/** The context of a hub on its own SQLite file (see openHubContextFor for one on PostgreSQL). */
export function openHubContext(dir: string, options: HubContextOptions = {}): HubContext {
  const layout = checkedLayout(dir);
  if (readStoreChoice(dir).database !== undefined)
    throw new HubError(
      'hub-on-postgres',
      500,
      `The hub in ${dir} keeps its state in PostgreSQL (store.json); this command can only open a hub on its SQLite file.`,
    );
  return {
    layout,
    config: readHubConfig(dir),
    keys: loadHubKeys(layout),
    store: HubStore.open(layout.database, layout),
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    now: options.now ?? Date.now,
    events: new InProcessHubEvents(),
  };
}

/**
 * The context of a hub on whichever store it uses: the one recorded in its store.json, or given by
 * --database/--blobs. On PostgreSQL the blobs and upload spools live in the database (--blobs postgres)
 * or in the chosen folder (one every replica mounts), and the wake-ups travel through LISTEN/NOTIFY.
 */
export async function openHubContextFor(
  dir: string,
  options: HubContextOptions & { store?: StoreChoice; onEventFailure?: (error: unknown) => void } = {},
): Promise<HubContext> {
  const choice = storeChoiceFor(dir, options.store ?? {});
  if (choice.database === undefined) return openHubContext(dir, options);
  const layout = checkedLayout(dir);
  const keys = loadHubKeys(layout);
  const shared = choice.blobs?.kind === 'folder' ? choice.blobs.path : undefined;
  const placed: HubLayout = shared
    ? { ...layout, blobs: join(shared, 'blobs'), uploads: join(shared, 'uploads') }
    : layout;
  // The uploads folder stays even with blobs in PostgreSQL: request bodies are received there (each
  // replica its own) until their signature is checked.
  mkdirSync(placed.uploads, { recursive: true, mode: 0o700 });
  const opened = await openPostgresHubStore({
    url: choice.database,
    identity: keys,
    blobs:
      choice.blobs?.kind === 'postgres'
        ? { kind: 'postgres' }
        : { kind: 'folder', blobs: placed.blobs, uploads: placed.uploads },
    ...(options.onEventFailure ? { onEventFailure: options.onEventFailure } : {}),
  });
  return {
    layout: placed,
    config: readHubConfig(dir),
    keys,
    store: opened.store,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    now: options.now ?? Date.now,
    events: opened.events,
  };
}

function checkedLayout(dir: string): HubLayout {
  const layout = hubLayout(dir);
  if (!existsSync(layout.config)) {
    throw new HubError(
      'not-a-hub',
      404,
      `${dir} is not a RadFed hub folder; create one with \`radfed hub init --dir ${dir}\`.`,
    );
  }
  return layout;
}

export function isoAt(ctx: Pick<HubContext, 'now'>): string {
  return new Date(ctx.now()).toISOString();
}

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(8).toString('hex')}`;
}
