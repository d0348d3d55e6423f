// The models a member keeps on disk, by SHA-256, in D/swarm-models/: the task's initial model and the
// last committed one. A member restarted (or killed) between rounds starts again from the model its
// ledger names without fetching it, and can serve it to peers that are behind, even when the leader
// that made it is gone. Older models are removed: the ledger keeps their hashes, not their bytes.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../../../shared/node/federation/index.ts';
import { writeFileAtomically } from '../../../shared/node/index.ts';

const MODEL_FILE = /^([0-9a-f]{64})\.rfw$/;

export class SwarmModelStore {
  constructor(readonly dir: string) {}

  /** The model's bytes, or null when this member does not hold it (or its file is damaged). */
  read(hash: string): Buffer | null {
    const path = join(this.dir, `${hash}.rfw`);
    if (!existsSync(path)) return null;
    const bytes = readFileSync(path);
    // A damaged file is as good as none: the member fetches the model again from a peer.
    return sha256Hex(bytes) === hash ? bytes : null;
  }

  /** Keeps `bytes` (whose SHA-256 is `hash`), and removes every other model but those in `keep`. */
  keep(hash: string, bytes: Uint8Array, keep: readonly string[] = []): void {
    mkdirSync(this.dir, { recursive: true });
    const path = join(this.dir, `${hash}.rfw`);
    if (!existsSync(path)) writeFileAtomically(path, Buffer.from(bytes));
    for (const name of readdirSync(this.dir)) {
      const held = MODEL_FILE.exec(name)?.[1];
      if (held !== undefined && held !== hash && !keep.includes(held))
        rmSync(join(this.dir, name), { force: true });
    }
  }
}
