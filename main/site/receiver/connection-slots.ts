// The receiver's connection slots. A few more than the association cap, so that senders past it
// get a polite A-ASSOCIATE-RJ rather than a reset. With every slot taken, the oldest connection with
// no association (silent so far, or refused and not yet gone) gives up its place to the newcomer:
// silent or refused sockets cannot lock senders out, however long the negotiation limit.
import type { Socket } from 'node:net';
import { MADE_ROOM_WORDS } from './connection-words.ts';
import type { StoreScp } from './store-scp.ts';

export class ConnectionSlots {
  readonly #cap: number;
  /** Every open connection, oldest first (a Map keeps insertion order). */
  readonly #open = new Map<Socket, StoreScp>();

  constructor(cap: number) {
    this.#cap = cap;
  }

  /** Whether a new connection may be served now; may cut the oldest waiting one to make room. */
  makeRoom(): boolean {
    // Connections being cut linger a moment (their A-ABORT is sent); past twice the cap, wait.
    if (this.#open.size >= 2 * this.#cap) return false;
    const live = [...this.#open.values()].filter((scp) => !scp.ending);
    if (live.length < this.#cap) return true;
    const waiting = live.find((scp) => !scp.accepted);
    if (waiting === undefined) return false;
    waiting.cut('made-room', MADE_ROOM_WORDS);
    return true;
  }

  set(socket: Socket, scp: StoreScp): void {
    this.#open.set(socket, scp);
  }

  delete(socket: Socket): void {
    this.#open.delete(socket);
  }

  closeAll(): void {
    for (const socket of this.#open.keys()) socket.destroy();
  }
}
