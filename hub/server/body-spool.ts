// Large bodies (upload chunks) are written to a private file while they arrive and are hashed, and
// come into memory only once their signature verifies. Held in memory instead, each 16 MiB chunk
// from someone with a site's id and a junk signature would cost the hub its size again, on top of
// the garbage that reading it over TLS leaves; on disk it costs nothing once it is removed.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { HubError } from '../hub-errors.ts';
import { receiveBody, type BodyRead, type BodyTimeouts } from './body-reader.ts';

const PREFIX = '.incoming-';

export class BodySpool {
  /** `dir`: a private folder of the hub (its uploads folder); what a crash left there is removed now. */
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const name of readdirSync(dir)) {
      if (name.startsWith(PREFIX)) rmSync(join(dir, name), { force: true });
    }
  }

  /** Receives the body into a new file; the caller then takes it (`take`) or drops it (`drop`). */
  async receive(
    stream: Readable,
    size: { declared: number | undefined; limit: number },
    timeouts: BodyTimeouts,
  ): Promise<BodyRead & { path: string }> {
    const path = join(this.dir, `${PREFIX}${randomBytes(8).toString('hex')}`);
    const file = await open(path, 'wx', 0o600);
    try {
      const read = await receiveBody(
        stream,
        size,
        (piece, offset) => file.write(piece, 0, piece.length, offset).then(() => undefined),
        timeouts,
      );
      return { ...read, path };
    } catch (error) {
      await this.drop(path);
      throw diskFull(error) ?? error;
    } finally {
      await file.close();
    }
  }

  /** The body as one buffer; the file is removed. */
  async take(path: string): Promise<Buffer> {
    try {
      return await readFile(path);
    } finally {
      await this.drop(path);
    }
  }

  drop(path: string): Promise<void> {
    return rm(path, { force: true });
  }
}

function diskFull(error: unknown): HubError | undefined {
  if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') return undefined;
  return new HubError(
    'disk-full',
    507,
    "The hub's disk is full, so it cannot take this request; try again later (the coordinator must free space).",
  );
}
