// The site's DICOM receiver: a Storage SCP (PS3.4 Annex B) that also answers C-ECHO (Annex A). Only
// calling AE titles on the allow-list may associate, and only to our AE title. Each instance is
// streamed into quarantine, flushed, checked and queued for ingest before it is acknowledged, so an
// instance a sender was told is stored survives a crash. Memory stays bounded: backpressure on the
// socket while the disk catches up, a cap on associations, on instance size and on the ingest queue.
//
// Privacy: logs, events and audit entries carry AE titles, addresses, counts and reasons; never a
// UID, a file name, or anything else from a data set.
import { mkdir } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import dimse from 'dcmjs-dimse';
import { AuditLog } from '../audit/index.ts';
import { IngestLane, type IngestFileOutcome, type IngestSite, type IngestSummary } from '../ingest/index.ts';
import type { ReceiverSettings } from '../store/index.ts';
import { ReceivedBacklog } from './received-backlog.ts';
import { InstanceReceiver, type ReceiverLimits } from './instance-receiver.ts';
import { StoreScp, type AssociationRefusal, type AssociationRequest } from './store-scp.ts';
import type { StoreVerdict } from './store-status.ts';

// The library's own log prints every command with its SOP Instance UID: keep it quiet.
dimse.log.setLevel('silent');

export const DEFAULT_LIMITS: ReceiverLimits = {
  maxAssociations: 8,
  maxQueuedFiles: 500,
  queueWaitMs: 5000,
  maxInstanceBytes: 2 * 1024 * 1024 * 1024,
  maxPduLength: 256 * 1024,
  associationTimeoutMs: 30_000,
  pduTimeoutMs: 120_000,
};

export type ReceiverEvent =
  | { type: 'listening'; host: string; port: number; queuedFromBefore: number }
  | { type: 'association-accepted'; callingAeTitle: string; remoteAddress: string }
  | {
      type: 'association-refused';
      callingAeTitle: string;
      calledAeTitle: string;
      remoteAddress: string;
      refusal: AssociationRefusal;
    }
  | { type: 'echo'; callingAeTitle: string }
  | { type: 'instance-answered'; callingAeTitle: string; verdict: StoreVerdict }
  | {
      type: 'association-closed';
      callingAeTitle: string;
      how: 'released' | 'aborted' | 'dropped';
      stored: number;
      refused: number;
    }
  | { type: 'instance-ingested'; outcome: IngestFileOutcome; setAsideAs: string | null }
  | { type: 'run-finished'; summary: IngestSummary }
  | { type: 'stalled'; reason: string };

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

export class ReceiverError extends Error {
  constructor(
    readonly code: 'port-in-use' | 'cannot-listen' | 'already-started',
    message: string,
  ) {
    super(message);
    this.name = 'ReceiverError';
  }
}

export class DicomReceiver {
  readonly #options: DicomReceiverOptions;
  readonly #limits: ReceiverLimits;
  readonly #audit: AuditLog;
  readonly #log: Logger | undefined;
  readonly #backlog: ReceivedBacklog;
  readonly #instances: InstanceReceiver;
  readonly #connections = new Map<Socket, StoreScp>();
  readonly #refusalsAudited = new Map<string, { at: number; suppressed: number }>();
  #associations = 0;
  #server: Server | null = null;
  #stopping = false;

  constructor(options: DicomReceiverOptions) {
    this.#options = options;
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#audit = new AuditLog(options.site.database, options.clock);
    this.#log = options.logger?.child({ component: 'dicom-receiver' });
    const emit = (event: ReceiverEvent) => options.onEvent?.(event);
    this.#backlog = new ReceivedBacklog({
      site: options.site,
      lane: options.lane ?? new IngestLane(),
      failedFolder: join(options.site.paths.directory, 'receive-failed'),
      maxFiles: this.#limits.maxQueuedFiles,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      onIngested: (outcome, setAsideAs) => emit({ type: 'instance-ingested', outcome, setAsideAs }),
      onRunFinished: (summary) => emit({ type: 'run-finished', summary }),
      onStalled: () =>
        emit({
          type: 'stalled',
          reason: 'the site could not ingest received files; they wait in quarantine',
        }),
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
    // A few over the association cap, so those get a polite A-ASSOCIATE-RJ rather than a reset.
    server.maxConnections = this.#limits.maxAssociations + 4;
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
      actor: 'site-agent',
      detail: {
        host: settings.host,
        port,
        aeTitle: settings.aeTitle,
        allowedCallingAeTitles: [...settings.allowedCallingAeTitles],
        queuedFromBefore,
      },
    });
    this.#log?.info({ host: settings.host, port, queuedFromBefore }, 'receiver listening');
    this.#options.onEvent?.({ type: 'listening', host: settings.host, port, queuedFromBefore });
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
    for (const socket of this.#connections.keys()) socket.destroy();
    await closed;
    await ingestStopped;
    this.#audit.append({
      type: 'receiver.stopped',
      actor: 'site-agent',
      detail: { leftQueued: this.#backlog.size },
    });
    this.#log?.info({ leftQueued: this.#backlog.size }, 'receiver stopped');
    this.#server = null;
  }

  #accept(socket: Socket): void {
    let callingAeTitle = '';
    let stored = 0;
    let refused = 0;
    let associated = false;
    const scp = new StoreScp(
      socket,
      {
        maxPduLength: this.#limits.maxPduLength,
        requested: (request) => {
          callingAeTitle = request.callingAeTitle;
          const refusal = this.#admit(request);
          if (refusal === null) {
            associated = true;
            this.#associations += 1;
            this.#log?.info({ callingAeTitle, remoteAddress: request.remoteAddress }, 'association accepted');
            this.#options.onEvent?.({
              type: 'association-accepted',
              callingAeTitle,
              remoteAddress: request.remoteAddress,
            });
          }
          return refusal;
        },
        receive: (command) => this.#instances.receive(command),
        answered: (verdict) => {
          if (verdict.reason === null) stored += 1;
          else refused += 1;
          this.#options.onEvent?.({ type: 'instance-answered', callingAeTitle, verdict });
        },
        echoed: () => this.#options.onEvent?.({ type: 'echo', callingAeTitle }),
        closed: (how) => {
          this.#connections.delete(socket);
          if (!associated) return;
          this.#associations -= 1;
          this.#log?.info({ callingAeTitle, how, stored, refused }, 'association closed');
          if (stored + refused > 0) {
            this.#audit.append({
              type: 'receiver.association',
              actor: 'site-agent',
              detail: {
                callingAeTitle,
                remoteAddress: socket.remoteAddress ?? 'unknown',
                how,
                stored,
                refused,
              },
            });
          }
          this.#options.onEvent?.({ type: 'association-closed', callingAeTitle, how, stored, refused });
        },
      },
      { associationTimeoutMs: this.#limits.associationTimeoutMs, pduTimeoutMs: this.#limits.pduTimeoutMs },
    );
    this.#connections.set(socket, scp);
    socket.on('error', () => undefined); // resets by the peer end in 'close', handled above
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
    if (refusal !== 'too-busy') this.#auditRefusal(refusal, detail);
    this.#options.onEvent?.({ type: 'association-refused', ...detail, refusal });
    return refusal;
  }

  /** One audit entry a minute per sender and reason, so a sender retrying in a loop cannot flood the log. */
  #auditRefusal(refusal: AssociationRefusal, detail: Record<string, string>): void {
    const key = `${refusal}|${detail.callingAeTitle}|${detail.calledAeTitle}|${detail.remoteAddress}`;
    const now = Date.now();
    const last = this.#refusalsAudited.get(key);
    if (last !== undefined && now - last.at < 60_000) {
      last.suppressed += 1;
      return;
    }
    this.#refusalsAudited.set(key, { at: now, suppressed: 0 });
    this.#audit.append({
      type: 'receiver.association-refused',
      actor: 'site-agent',
      detail: { ...detail, reason: refusal, alsoRefusedSinceLastEntry: last?.suppressed ?? 0 },
    });
  }
}

/** An AE title as it may be shown: the AE character set only, at most 16 (PS3.5 6.2). */
function printable(aeTitle: string): string {
  return aeTitle.replace(/[^\x20-\x5b\x5d-\x7e]/g, '?').slice(0, 16);
}
