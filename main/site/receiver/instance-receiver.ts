// One received instance, from its C-STORE command to the answer: where its data set is written,
// and the steps that must all pass before the sender is told it is stored (PS3.4 B.2.3):
// complete -> flushed -> decodes and is the announced instance -> room in the ingest queue ->
// renamed to its final name (flushed) -> queued. Any failure is a failure status with a reason.
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { errorCode, IngestLane } from '../ingest/index.ts';
import { checkReceivedInstance, isUsableUid } from './instance-check.ts';
import type { ReceivedBacklog } from './received-backlog.ts';
import type { ReceiverLimits } from './receiver-limits.ts';
import { part10Header, ReceivedFile } from './received-file.ts';
import type { StoreCommand, StoreReceipt } from './store-scp.ts';
import { refused, StoreStatus, stored, type StoreVerdict } from './store-status.ts';

/** Bytes of one instance buffered in memory before the socket is paused. */
const WRITE_BUFFER_BYTES = 1024 * 1024;

export class InstanceReceiver {
  readonly #backlog: ReceivedBacklog;
  readonly #limits: ReceiverLimits;
  readonly #log: Logger | undefined;
  // Decoding checks one at a time: each reads its whole file into memory.
  readonly #checks = new IngestLane();
  #answering = 0;
  #idle: Array<() => void> = [];

  constructor(backlog: ReceivedBacklog, limits: ReceiverLimits, log: Logger | undefined) {
    this.#backlog = backlog;
    this.#limits = limits;
    this.#log = log;
  }

  receive(command: StoreCommand): StoreReceipt {
    if (!isUsableUid(command.sopClassUid) || !isUsableUid(command.sopInstanceUid)) {
      return dropped(
        refused(StoreStatus.CannotUnderstand, 'the C-STORE command has no usable SOP Class or Instance UID'),
      );
    }
    if (command.transferSyntaxUid === '') {
      return dropped(
        refused(StoreStatus.CannotUnderstand, 'no transfer syntax was accepted for this instance'),
      );
    }
    const file = new ReceivedFile(this.#backlog.incomingFolder, part10Header(command), {
      maxBytes: this.#limits.maxInstanceBytes,
      highWaterMark: WRITE_BUFFER_BYTES,
    });
    return {
      stream: file,
      settle: () => this.#settle(file, command),
      abandon: () => void file.discard(),
    };
  }

  /** Resolves when no instance is between its last byte and its answer (or after `timeoutMs`). */
  async whenAnswered(timeoutMs: number): Promise<void> {
    if (this.#answering === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async #settle(file: ReceivedFile, command: StoreCommand): Promise<StoreVerdict> {
    this.#answering += 1;
    try {
      const verdict = await this.#store(file, command);
      if (verdict.reason !== null) {
        this.#log?.warn({ status: verdict.status, reason: verdict.reason }, 'instance refused');
      }
      return verdict;
    } catch (error) {
      await file.discard();
      this.#log?.error({ error: errorCode(error) }, 'instance could not be stored');
      return refused(StoreStatus.OutOfResources, `the instance could not be stored (${errorCode(error)})`);
    } finally {
      this.#answering -= 1;
      if (this.#answering === 0) for (const wake of this.#idle.splice(0)) wake();
    }
  }

  async #store(file: ReceivedFile, command: StoreCommand): Promise<StoreVerdict> {
    const problem = await file.completed();
    if (problem === 'too-large') {
      return refused(
        StoreStatus.OutOfResources,
        `the instance is larger than this receiver accepts (${this.#limits.maxInstanceBytes} bytes)`,
      );
    }
    if (problem === 'disk-error') {
      return refused(
        StoreStatus.OutOfResources,
        `the instance could not be written to disk (${file.problemCode})`,
      );
    }
    if (problem === 'incomplete') {
      return refused(StoreStatus.CannotUnderstand, 'the instance was not received completely');
    }
    const checked = await this.#checks.run(() => checkReceivedInstance(file.partPath, command));
    if (checked.reason !== null) {
      await file.discard();
      return checked;
    }
    if (!this.#backlog.hasRoom() && !(await this.#backlog.waitForRoom(this.#limits.queueWaitMs))) {
      await file.discard();
      return refused(
        StoreStatus.OutOfResources,
        'the site is busy ingesting earlier instances; send this one again later',
      );
    }
    await file.commit();
    this.#backlog.add(file.name);
    return stored;
  }
}

/** A receipt for an instance refused from its command alone: its data is read and dropped. */
function dropped(verdict: StoreVerdict): StoreReceipt {
  const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  return { stream: sink, settle: () => Promise.resolve(verdict), abandon: () => sink.destroy() };
}
