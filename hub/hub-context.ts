// What every hub service works with: the folder's layout and settings, the keys, the store, a clock,
// the limits, and an event bus that wakes long-polling sites when a task changes. Built once per
// process (server or CLI command) and passed in, never reached for as a global.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
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
import { HubStore } from './store/index.ts';

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

export function openHubContext(
  dir: string,
  options: { now?: () => number; limits?: Partial<HubLimits> } = {},
): HubContext {
  const layout = hubLayout(dir);
  if (!existsSync(layout.config)) {
    throw new HubError(
      'not-a-hub',
      404,
      `${dir} is not a RadFed hub folder; create one with \`radfed hub init --dir ${dir}\`.`,
    );
  }
  const config = readHubConfig(dir);
  return {
    layout,
    config,
    keys: loadHubKeys(layout),
    store: HubStore.open(layout.database, layout.blobs),
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    now: options.now ?? Date.now,
    events: new InProcessHubEvents(),
  };
}

export function isoAt(ctx: Pick<HubContext, 'now'>): string {
  return new Date(ctx.now()).toISOString();
}

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(8).toString('hex')}`;
}
