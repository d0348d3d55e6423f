// The site's DICOM receiver: a Storage SCP (PS3.4 Annex B) that also answers C-ECHO (Annex A). Only
// calling AE titles on the allow-list may associate, and only to our AE title. Each instance is
// streamed into quarantine, flushed, checked and queued for ingest before it is acknowledged, so an
// instance a sender was told is stored survives a crash. Memory stays bounded: backpressure on the
// socket while the disk catches up, a cap on associations, on instance size and on the ingest queue.
//
// A sender cannot hold the receiver: time limits per connection (association-timer.ts), a bound on
// what one message may make it hold in memory (pdu-guard.ts), and, with every connection slot
// taken, a new connection takes the place of the oldest one without an association.
// Nothing a sender does, and no full disk, throws out of a network event handler: the audit entries
// go through connection-audit.ts, which also summarises floods per sender address.
//
// Privacy: logs, events and audit entries carry AE titles, addresses, counts and reasons; never a
// UID, a file name, or anything else from a data set.
import { mkdir } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import dimse from 'dcmjs-dimse';
import { AuditLog, commandActor } from '../audit/index.ts';
import { errorCode, IngestLane, type IngestSite } from '../ingest/index.ts';
import type { ReceiverSettings } from '../store/index.ts';
import { ConnectionAudit } from './connection-audit.ts';
import { printable, REFUSAL_WORDS, type ConnectionCut } from './connection-words.ts';
import { ConnectionSlots } from './connection-slots.ts';
import { ReceivedBacklog } from './received-backlog.ts';
import { InstanceReceiver } from './instance-receiver.ts';
import { connectionCap, DEFAULT_LIMITS, type ReceiverLimits } from './receiver-limits.ts';
import type { ReceiverEvent } from './receiver-events.ts';
import { StoreScp, type AssociationRefusal, type AssociationRequest } from './store-scp.ts';
import { RadfedError } from '../../../shared/errors.ts';

// The library's own log prints every command with its SOP Instance UID: keep it quiet.
dimse.log.setLevel('silent');

export interface DicomReceiverOptions {
  site: IngestSite;
  settings: ReceiverSettings;
  /** Shared with the watched folder and the agent, so one file is ingested at a time. */
  lane?: IngestLane;
  limits?: Partial<ReceiverLimits>;
  logger?: Logger;
  clock?: () => Date;
  onEvent?(event: ReceiverEvent): void;
}

export class ReceiverError extends RadfedError<'port-in-use' | 'cannot-listen' | 'already-started'> {
  override readonly name = 'ReceiverError';
}

export class DicomReceiver {
  readonly #options: DicomReceiverOptions;
  readonly #limits: ReceiverLimits;
  readonly #audit: ConnectionAudit;
  readonly #log: Logger | undefined;
  readonly #backlog: ReceivedBacklog;
  readonly #instances: InstanceReceiver;
  readonly #connections: ConnectionSlots;
  #associations = 0;
  #server: Server | null = null;
  #stopping = false;

  constructor(options: DicomReceiverOptions) {
    this.#options = options;
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#connections = new ConnectionSlots(connectionCap(this.#limits));
    this.#log = options.logger?.child({ component: 'dicom-receiver' });
    const emit = (event: ReceiverEvent) => this.#emit(event);
    this.#audit = new ConnectionAudit({
      audit: new AuditLog(options.site.database, options.clock),
      windowMs: this.#limits.auditWindowMs,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(this.#log ? { log: this.#log } : {}),
      onTrouble: (reason) => emit({ type: 'warning', reason }),
    });
    this.#backlog = new ReceivedBacklog({
      site: options.site,
      lane: options.lane ?? new IngestLane(),
      failedFolder: join(options.site.paths.directory, 'receive-failed'),
      maxFiles: this.#limits.maxQueuedFiles,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      onIngested: (outcome, setAsideAs) => emit({ type: 'instance-ingested', outcome, setAsideAs }),
      onRunFinished: (summary) => emit({ type: 'run-finished', summary }),
      onStalled: (error) => {
        const code = errorCode(error);
        const why = code === 'ENOSPC' || code === 'SQLITE_FULL' ? 'the disk is full' : code;
        emit({
          type: 'stalled',
          reason: `the site could not ingest received files (${why}); they wait in quarantine and are tried again in 30 s`,
        });
      },
    });
    this.#instances = new InstanceReceiver(this.#backlog, this.#limits, this.#log);
  }

  /** The ingest queue: files acknowledged and not yet ingested. */
  get queued(): number {
    return this.#backlog.size;
  }

  /** Starts listening; resolves with the port (useful with port 0). Ingests what a previous run left. */
  async start(): Promise<{ host: string; port: number }> {
    if (this.#server !== null) throw new ReceiverError('already-started', 'The receiver is already running.');
    const { settings } = this.#options;
    await mkdir(this.#backlog.incomingFolder, { recursive: true, mode: 0o700 });
    const server = createServer((socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        reject(
          error.code === 'EADDRINUSE'
            ? new ReceiverError(
                'port-in-use',
                `Port ${settings.port} is already in use on ${settings.host}. Stop what uses it, or choose another port (--port).`,
              )
            : new ReceiverError(
                'cannot-listen',
                `The receiver could not listen on ${settings.host}:${settings.port} (${error.code ?? 'error'}). Check the address and port.`,
              ),
        );
      });
      server.listen(settings.port, settings.host, () => resolve());
    });
    server.on('error', (error) =>
      this.#log?.error({ error: (error as NodeJS.ErrnoException).code }, 'server error'),
    );
    this.#server = server;
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : settings.port;
    const queuedFromBefore = await this.#backlog.recover();
    this.#audit.append({
      type: 'receiver.started',
      actor: commandActor(),
      detail: {
        host: settings.host,
        port,
        aeTitle: settings.aeTitle,
        allowedCallingAeTitles: [...settings.allowedCallingAeTitles],
        queuedFromBefore,
      },
    });
    this.#log?.info({ host: settings.host, port, queuedFromBefore }, 'receiver listening');
    this.#emit({ type: 'listening', host: settings.host, port, queuedFromBefore });
    return { host: settings.host, port };
  }

  /** Resolves when every acknowledged instance has been ingested. */
  whenIngested(): Promise<void> {
    return this.#backlog.whenIdle();
  }

  /**
   * Stops: no new associations; instances already being answered are answered, open associations
   * are then closed (a sender retries what it was not told is stored), the file being ingested is
   * finished. Acknowledged files not yet ingested stay in quarantine for the next start.
   */
  async stop(): Promise<void> {
    if (this.#server === null || this.#stopping) return;
    this.#stopping = true;
    // No new file is started from here; the one being ingested is finished.
    const ingestStopped = this.#backlog.stop();
    const server = this.#server;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await this.#instances.whenAnswered(10_000);
    this.#connections.closeAll();
    await closed;
    await ingestStopped;
    this.#audit.flush();
    this.#audit.append({
      type: 'receiver.stopped',
      actor: commandActor(),
      detail: { leftQueued: this.#backlog.size },
    });
    this.#log?.info({ leftQueued: this.#backlog.size }, 'receiver stopped');
    this.#server = null;
  }

  #accept(socket: Socket): void {
    socket.on('error', () => undefined); // resets by the peer end in 'close', handled below
    const remoteAddress = socket.remoteAddress ?? 'unknown';
    if (!this.#connections.makeRoom()) {
      this.#log?.warn({ remoteAddress }, 'connection closed at once: every connection slot is in use');
      socket.destroy();
      return;
    }
    let callingAeTitle = '';
    let stored = 0;
    let refused = 0;
    let associated = false;
    const limits = this.#limits;
    const scp = new StoreScp(
      socket,
      {
        maxPduLength: limits.maxPduLength,
        requested: (request) => {
          callingAeTitle = request.callingAeTitle;
          const refusal = this.#admit(request);
          if (refusal === null) {
            associated = true;
            this.#associations += 1;
            this.#log?.info({ callingAeTitle, remoteAddress }, 'association accepted');
            this.#emit({ type: 'association-accepted', callingAeTitle, remoteAddress });
          }
          return refusal;
        },
        receive: (command) => this.#instances.receive(command),
        answered: (verdict) => {
          if (verdict.reason === null) stored += 1;
          else refused += 1;
          this.#emit({ type: 'instance-answered', callingAeTitle, verdict });
        },
        echoed: () => this.#emit({ type: 'echo', callingAeTitle }),
        closed: (how, cut) => {
          this.#connections.delete(socket);
          if (cut !== null) this.#cutOff(cut, remoteAddress, callingAeTitle || null);
          if (!associated) return;
          this.#associations -= 1;
          this.#log?.info({ callingAeTitle, how, stored, refused }, 'association closed');
          if (stored + refused > 0) {
            this.#audit.append({
              type: 'receiver.association',
              actor: commandActor(),
              detail: {
                callingAeTitle,
                remoteAddress,
                how,
                stored,
                refused,
                ...(cut ? { cutBecause: cut.reason } : {}),
              },
            });
          }
          this.#emit({ type: 'association-closed', callingAeTitle, how, stored, refused });
        },
      },
      {
        negotiationMs: limits.negotiationTimeoutMs,
        idleMs: limits.idleTimeoutMs,
        totalMs: limits.maxAssociationMs,
        maxMessageBytes: limits.maxMessageBytes,
        maxUnanswered: limits.maxUnanswered,
      },
    );
    this.#connections.set(socket, scp);
  }

  #cutOff(cut: ConnectionCut, remoteAddress: string, callingAeTitle: string | null): void {
    const detail = {
      remoteAddress,
      ...(callingAeTitle !== null ? { callingAeTitle: printable(callingAeTitle) } : {}),
      reason: cut.code,
      explanation: cut.reason,
      heldBytes: cut.heldBytes,
    };
    this.#log?.warn(detail, 'connection cut off');
    this.#audit.note({
      kind: 'cut-off',
      reason: cut.code,
      words: cut.reason,
      remoteAddress,
      callingAeTitle: callingAeTitle === null ? null : printable(callingAeTitle),
      detail,
    });
    this.#emit({
      type: 'connection-cut',
      remoteAddress,
      callingAeTitle: callingAeTitle === null ? null : printable(callingAeTitle),
      code: cut.code,
      reason: cut.reason,
      heldBytes: cut.heldBytes,
    });
  }

  #admit(request: AssociationRequest): AssociationRefusal | null {
    const { settings } = this.#options;
    let refusal: AssociationRefusal | null = null;
    if (request.calledAeTitle !== settings.aeTitle) refusal = 'called-ae-not-recognized';
    else if (!settings.allowedCallingAeTitles.includes(request.callingAeTitle))
      refusal = 'calling-ae-not-allowed';
    else if (this.#stopping || this.#associations >= this.#limits.maxAssociations) refusal = 'too-busy';
    if (refusal === null) return null;
    const detail = {
      callingAeTitle: printable(request.callingAeTitle),
      calledAeTitle: printable(request.calledAeTitle),
      remoteAddress: request.remoteAddress,
    };
    this.#log?.warn({ ...detail, refusal }, 'association refused');
    if (refusal !== 'too-busy') {
      this.#audit.note({
        kind: 'refused',
        reason: refusal,
        words: REFUSAL_WORDS[refusal],
        remoteAddress: request.remoteAddress,
        callingAeTitle: detail.callingAeTitle,
        detail: { ...detail, reason: refusal },
      });
    }
    this.#emit({ type: 'association-refused', ...detail, refusal });
    return refusal;
  }

  /** Tells the owner; a throwing listener must not reach the network code, which would end the process. */
  #emit(event: ReceiverEvent): void {
    try {
      this.#options.onEvent?.(event);
    } catch (error) {
      this.#log?.error({ error: errorCode(error), event: event.type }, 'receiver event listener failed');
    }
  }
}
