// The hub's end of split learning's sessions: WebSocket upgrades on the hub's own HTTPS server (its
// TLS, the certificate the sites pinned), each authenticated like any site request (the signed GET of
// the upgrade path: an enrolled site, a fresh timestamp, an unused nonce) and bound to one site and one
// session id. On a session, the site's cut frames go to the task's trunk one exchange at a time.
// Bounds: a message larger than the trunk's largest frame for `maxBatch` images is refused by `ws`
// from the length in its first bytes, before any of it is held; at most `maxSessions` sessions at
// once, of which one site holds at most `maxSessionsPerSite` (so one site, hostile or looping, cannot
// take every place from the others); a site that goes quiet mid-step loses its step (TrunkSteps), not
// the others theirs.
import type { IncomingMessage } from 'node:http';
import type { Server } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import {
  CutFrameError,
  decodeCutFrameHeader,
  decodeLabelsFrameHeader,
  isLabelsFrame,
  maxSplitMessageBytes,
  SPLIT_CLOSE,
  SPLIT_SESSION_PATH_PATTERN,
  type SplitRefusal,
  type SplitTrunkEngine,
} from '../../shared/federation/split/index.ts';
import {
  PROTOCOL_HEADER,
  PROTOCOL_VERSION,
  readProtocolHeader,
  siteProtocolRefusal,
} from '../../shared/federation/index.ts';
import { RadfedError } from '../../shared/errors.ts';
import type { HubContext } from '../hub-context.ts';
import { HubError } from '../hub-errors.ts';
import { authenticateSite } from '../request-auth.ts';
import { SplitSessionError } from './split-session-error.ts';
import type { LockLease } from '../store/index.ts';
import { trunkCheckpointsFor, type TrunkCheckpoints } from './trunk-checkpoints.ts';
import { refusalWithoutTrunk, TrunkNotServedError } from './trunk-not-served.ts';
import { TrunkSteps } from './trunk-steps.ts';

export interface SplitSessionLimits {
  /** Sessions open at once, over every task (default 64). */
  readonly maxSessions: number;
  /** Sessions one site may have open at once, over every task (default 8: one per task it trains). */
  readonly maxSessionsPerSite: number;
  /** The largest batch a frame may carry (default 256 images). */
  readonly maxBatch: number;
  /** How long a site may hold the trunk between its activations and its gradient (default 60 s). */
  readonly stepTimeoutMs: number;
  /** How long a session may send nothing before the hub closes it (default 10 min). */
  readonly idleTimeoutMs: number;
  /** Write the trunk's checkpoint after every this many steps (default 1: see TrunkSteps). */
  readonly checkpointEverySteps: number;
}

export const DEFAULT_SPLIT_LIMITS: SplitSessionLimits = {
  maxSessions: 64,
  maxSessionsPerSite: 8,
  maxBatch: 256,
  stepTimeoutMs: 60_000,
  idleTimeoutMs: 600_000,
  checkpointEverySteps: 1,
};

/** Frames a connection may have waiting for their answers: the protocol is one at a time. */
const MAX_PENDING_EXCHANGES = 2;

interface TaskTrunk {
  readonly steps: TrunkSteps;
  readonly sockets: WebSocketServer;
  /** Which site each session belongs to: another site's connection cannot use it. */
  readonly owners: Map<string, string>;
}

export class SplitSessions {
  private readonly trunks = new Map<string, TaskTrunk>();
  private readonly open = new Map<string, WebSocket>();
  /** The site of each open session (by `task/session`), for the per-site bound. */
  private readonly openBy = new Map<string, string>();
  private readonly unservable = new Map<string, string>();
  /** The tasks whose trunk this replica holds the lock to serve (one replica per task). */
  private readonly leases = new Map<string, LockLease>();
  /** The tasks whose trunk another replica of this hub serves, as last found. */
  private readonly servedElsewhere = new Set<string>();
  private readonly checkpoints: TrunkCheckpoints;
  private readonly limits: SplitSessionLimits;

  constructor(
    private readonly ctx: HubContext,
    private readonly logger: Logger | false,
    limits: Partial<SplitSessionLimits> = {},
  ) {
    this.limits = { ...DEFAULT_SPLIT_LIMITS, ...limits };
    this.checkpoints = trunkCheckpointsFor(ctx);
  }

  /** Handles the upgrades of `server` (the hub's HTTPS server). */
  attach(server: Server): void {
    // upgrade() answers every failure itself (refuseUpgrade), so its promise never rejects.
    server.on(
      'upgrade',
      (request: IncomingMessage, socket: Duplex, head: Buffer) => void this.upgrade(request, socket, head),
    );
  }

  /**
   * Takes the lock to serve `taskId`'s trunk (`trunk:<task>`, held until this replica dies or stops),
   * unless another replica of the hub holds it: false then, and its sites are sent on to that one.
   * The trunk keeper asks before it builds a trunk, and again at each look until it gets it.
   */
  async claimTrunk(taskId: string): Promise<boolean> {
    if (this.leases.has(taskId)) return true;
    const lease = await this.ctx.store.sql.holdLock(`trunk:${taskId}`);
    if (!lease) {
      this.servedElsewhere.add(taskId);
      return false;
    }
    this.servedElsewhere.delete(taskId);
    this.leases.set(taskId, lease);
    lease.lost.addEventListener('abort', () => this.dropTrunk(taskId, lease), { once: true });
    return true;
  }

  /** Whether this replica serves `taskId`'s trunk now (false after its lock was lost). */
  servesTrunk(taskId: string): boolean {
    return this.trunks.has(taskId) && this.leases.has(taskId);
  }

  /**
   * Serves `taskId`'s trunk; a checkpoint left by an earlier run of the hub (or by the replica that
   * served it before) is restored into it first. Resolves with the trunk's step count after the
   * restore, or undefined when another replica serves this trunk.
   */
  async serveTrunk(taskId: string, engine: SplitTrunkEngine): Promise<number | undefined> {
    if (!(await this.claimTrunk(taskId))) return undefined;
    const lease = this.leases.get(taskId)!;
    const saved = await this.checkpoints.read(taskId);
    if (lease.lost.aborted) return undefined; // lost while reading: another replica may serve it now
    const owners = new Map(saved?.owners ?? []);
    if (saved) engine.restore(saved.engine);
    const steps = new TrunkSteps({
      engine,
      stepTimeoutMs: this.limits.stepTimeoutMs,
      checkpointEverySteps: this.limits.checkpointEverySteps,
      // What a failed checkpoint write rolls the trunk back to: the saved state, or the trunk as new.
      durable: saved?.engine ?? (await engine.checkpoint()),
      onCheckpointFailed: (error) => {
        if (this.logger)
          this.logger.error(
            { err: error, taskId },
            'split-learning trunk checkpoint not written; step undone',
          );
      },
      persist: async (checkpoint) => {
        // The trunk may be another replica's by now: its checkpoints must not be overwritten by ours.
        if (lease.lost.aborted)
          throw new SplitSessionError(
            'trunk-moved',
            'The trunk moved to another replica of the hub; send the step again.',
            'again',
          );
        await this.checkpoints.write(taskId, owners, checkpoint);
      },
    });
    const maxPayload = maxSplitMessageBytes({
      perImageValues: engine.incomingValuesPerImage,
      maxBatch: this.limits.maxBatch,
    });
    const sockets = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false });
    this.trunks.set(taskId, { steps, sockets, owners });
    this.unservable.delete(taskId);
    return engine.appliedSteps;
  }

  /**
   * Says that `taskId`'s trunk cannot be built at this hub (its model is unknown here, say): its sites
   * are then refused for good with `reason`, instead of being told to wait for a trunk that never comes.
   */
  refuseTrunk(taskId: string, reason: string): void {
    this.unservable.set(taskId, reason);
  }

  /**
   * Stops serving `taskId`'s trunk, whose task has ended (completed, stopped or cancelled): its sessions
   * are closed, its steps dropped and its lock released, instead of being held until the hub stops. A
   * later upgrade for the task is refused for good (`task-not-active`). Its checkpoint
   * stays: it is the trained trunk, the middle of the task's model. Resolves true if it was served.
   */
  async releaseTrunk(taskId: string): Promise<boolean> {
    const trunk = this.trunks.get(taskId);
    const lease = this.leases.get(taskId);
    this.trunks.delete(taskId);
    this.leases.delete(taskId);
    this.servedElsewhere.delete(taskId);
    this.unservable.delete(taskId);
    for (const [key, socket] of this.open) {
      if (key.startsWith(`${taskId}/`)) socket.close(SPLIT_CLOSE.goingAway, 'the task has ended');
    }
    trunk?.steps.close();
    trunk?.sockets.close();
    await lease?.release();
    return trunk !== undefined;
  }

  close(): void {
    for (const socket of this.open.values()) socket.close(SPLIT_CLOSE.goingAway, 'the hub is stopping');
    for (const trunk of this.trunks.values()) {
      trunk.steps.close();
      trunk.sockets.close();
    }
    this.trunks.clear();
    for (const lease of this.leases.values()) void lease.release();
    this.leases.clear();
  }

  /** The lock on a trunk was lost (its database connection died): another replica may serve it now. */
  private dropTrunk(taskId: string, lease: LockLease): void {
    if (this.leases.get(taskId) !== lease) return;
    this.leases.delete(taskId);
    const trunk = this.trunks.get(taskId);
    this.trunks.delete(taskId);
    for (const [key, socket] of this.open) {
      if (key.startsWith(`${taskId}/`))
        socket.close(SPLIT_CLOSE.goingAway, 'the trunk moved to another replica');
    }
    trunk?.steps.close();
    trunk?.sockets.close();
    if (this.logger) this.logger.warn({ taskId }, 'split-learning trunk lock lost; no longer serving it');
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = request.url ?? '';
    const match = SPLIT_SESSION_PATH_PATTERN.exec(url);
    try {
      if (!match) throw new HubError('not-found', 404, 'There is no WebSocket endpoint at this address.');
      const [, taskId, session] = match as unknown as [string, string, string];
      const site = await authenticateSite(this.ctx, {
        method: request.method ?? 'GET',
        url,
        headers: request.headers,
        body: new Uint8Array(0),
      });
      // The site's protocol, as on every /v1 route (server/protocol-check.ts); here after the signature,
      // so a stranger learns nothing but 401 from this door.
      const refusal = siteProtocolRefusal(readProtocolHeader(request.headers[PROTOCOL_HEADER]));
      if (refusal) throw new HubError(refusal.code, 426, refusal.message);
      let trunk = this.trunks.get(taskId);
      // A task that ended since its trunk was served (the keeper lets it go at its next look).
      const ended = trunk ? (await this.ctx.store.tasks.task(taskId))?.state : 'active';
      if (ended !== undefined && ended !== 'active') {
        await this.releaseTrunk(taskId);
        trunk = undefined;
      }
      if (!trunk && this.servedElsewhere.has(taskId)) throw new TrunkNotServedError('elsewhere');
      if (!trunk) throw await refusalWithoutTrunk(this.ctx, taskId, this.unservable.get(taskId));
      const owner = trunk.owners.get(session);
      if (owner !== undefined && owner !== site.id) {
        throw new HubError('wrong-session', 403, 'This split-learning session belongs to another site.');
      }
      const key = `${taskId}/${session}`;
      if (!this.open.has(key) && this.open.size >= this.limits.maxSessions) {
        throw new HubError(
          'too-many-sessions',
          503,
          `The hub already serves ${this.limits.maxSessions} split-learning sessions; try again later.`,
        );
      }
      if (!this.open.has(key) && this.sessionsOf(site.id) >= this.limits.maxSessionsPerSite) {
        throw new HubError(
          'too-many-site-sessions',
          429,
          `This site already has ${this.limits.maxSessionsPerSite} split-learning sessions open at the hub, the most ` +
            'one site may: close a session (stop a task\u2019s training) before opening another.',
        );
      }
      if (!trunk.owners.has(session)) this.forgetOldSessions(taskId, trunk, site.id);
      trunk.owners.set(session, site.id);
      trunk.sockets.handleUpgrade(request, socket, head, (ws) =>
        this.serve(ws, key, trunk, session, site.id),
      );
    } catch (error) {
      if (this.logger && !(error instanceof HubError)) {
        this.logger.error({ err: error }, 'split-learning session could not be opened');
      }
      refuseUpgrade(socket, error);
    }
  }

  /**
   * Before `siteId` opens a new session on `taskId`'s trunk: keeps its most recent sessions that are not open
   * (fewer than `maxSessionsPerSite`) and forgets the older ones, their owner and their last answer. A
   * site opens a new session every round and resumes only its latest; without this the trunk kept one
   * answer frame per session ever opened, in memory and in every checkpoint it rewrites after each
   * step, and a site opening sessions in a loop grew both without bound.
   */
  private forgetOldSessions(taskId: string, trunk: TaskTrunk, siteId: string): void {
    const own = [...trunk.owners]
      .filter(([session, site]) => site === siteId && !this.open.has(`${taskId}/${session}`))
      .map(([session]) => session);
    for (const session of own.slice(0, Math.max(0, own.length - (this.limits.maxSessionsPerSite - 1)))) {
      trunk.owners.delete(session);
      trunk.steps.engine.forget?.(session);
    }
  }

  /** Sessions `siteId` has open now, over every task. */
  private sessionsOf(siteId: string): number {
    let count = 0;
    for (const site of this.openBy.values()) if (site === siteId) count += 1;
    return count;
  }

  private serve(ws: WebSocket, key: string, trunk: TaskTrunk, session: string, siteId: string): void {
    this.open.get(key)?.close(SPLIT_CLOSE.replaced, 'replaced by a newer connection');
    this.open.set(key, ws);
    this.openBy.set(key, siteId);
    let exchanges = Promise.resolve();
    let pending = 0;
    const idle = () => ws.close(SPLIT_CLOSE.idle, 'the session sent nothing for too long');
    let idleTimer = setTimeout(idle, this.limits.idleTimeoutMs);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(idle, this.limits.idleTimeoutMs);
      if (!isBinary) {
        ws.close(SPLIT_CLOSE.protocol, 'only binary cut frames are accepted');
        return;
      }
      // The site waits for each answer; a sender that does not is not queued without bound.
      if (pending >= MAX_PENDING_EXCHANGES) {
        ws.close(SPLIT_CLOSE.protocol, 'one exchange at a time: wait for each answer');
        return;
      }
      pending += 1;
      const bytes = toBytes(data);
      // One exchange at a time per session, in the order the frames came.
      exchanges = exchanges
        .then(() => this.exchange(ws, trunk, session, bytes))
        .finally(() => {
          pending -= 1;
        });
    });
    ws.on('close', () => {
      clearTimeout(idleTimer);
      if (this.open.get(key) === ws) {
        this.open.delete(key);
        this.openBy.delete(key);
        trunk.steps.abandon(session);
      }
    });
    ws.on('error', (error) => {
      if (this.logger) this.logger.warn({ err: error }, 'split-learning session failed');
    });
  }

  private async exchange(ws: WebSocket, trunk: TaskTrunk, session: string, bytes: Uint8Array): Promise<void> {
    let answer: Uint8Array | SplitRefusal;
    try {
      answer = await this.answer(trunk, session, bytes);
    } catch (error) {
      answer = refusalOf(error);
      // A refusal that says stop, or a failure of ours (not a RadfedError): worth a line in the log.
      if (this.logger && (answer.retry === 'never' || !(error instanceof RadfedError))) {
        this.logger.warn({ err: error }, 'split-learning frame refused');
      }
    }
    if (ws.readyState !== WebSocket.OPEN) return;
    if (answer instanceof Uint8Array) ws.send(answer, { binary: true });
    else ws.send(JSON.stringify(answer));
  }

  private answer(trunk: TaskTrunk, session: string, bytes: Uint8Array): Promise<Uint8Array> {
    // Label sharing: the labels frame leads the step's message (its count bounded before any is read).
    const header = isLabelsFrame(bytes)
      ? labelsRoute(decodeLabelsFrameHeader(bytes, { maxLabels: this.limits.maxBatch }))
      : decodeCutFrameHeader(bytes);
    if (header.session !== session) {
      throw new SplitSessionError(
        'wrong-session',
        'This frame belongs to another session than the one this connection opened.',
        'never',
      );
    }
    if (header.shape[0]! > this.limits.maxBatch) {
      throw new SplitSessionError(
        'batch-too-large',
        `This frame carries ${header.shape[0]} images; the hub takes at most ${this.limits.maxBatch} per step.`,
        'never',
      );
    }
    if (header.kind === 'labels') return trunk.steps.labelledStep(session, header.step, bytes);
    if (header.kind === 'cut1-activations') return trunk.steps.forward(session, header.step, bytes);
    if (header.kind === 'cut2-gradient') return trunk.steps.backward(session, header.step, bytes);
    if (header.kind === 'cut1-evaluation') return trunk.steps.evaluate(bytes);
    throw new SplitSessionError(
      'wrong-kind',
      `A site sends activations at cut 1 (for a step or an evaluation) and gradients at cut 2, not a ${header.kind} frame.`,
      'never',
    );
  }
}

/** A labels frame's header as the router reads a cut frame's: kind, session, step, images. */
function labelsRoute(header: { session: string; step: number; count: number }) {
  return { kind: 'labels' as const, session: header.session, step: header.step, shape: [header.count] };
}

function refusalOf(error: unknown): SplitRefusal {
  if (error instanceof SplitSessionError) {
    return { error: error.code, message: error.message, retry: error.retry };
  }
  if (error instanceof CutFrameError) return { error: error.code, message: error.message, retry: 'never' };
  if (error instanceof RadfedError) {
    // The trunk's own refusals: a gradient it has no open step for means the step must start again.
    const retry = error.code === 'out-of-order' ? 'restart-step' : 'never';
    return { error: error.code, message: error.message, retry };
  }
  return { error: 'trunk-failed', message: 'The trunk failed on this step; send it again.', retry: 'again' };
}

function refuseUpgrade(socket: Duplex, error: unknown): void {
  const status = error instanceof HubError ? error.statusCode : 500;
  const retryAfter =
    error instanceof TrunkNotServedError ? `retry-after: ${error.retryAfterSeconds}\r\n` : '';
  // A 426 names the protocol to switch to (RFC 9110 §15.5.22), as the /v1 routes' does.
  const upgrade = status === 426 ? `upgrade: RadFed-protocol/${PROTOCOL_VERSION}\r\n` : '';
  const body = JSON.stringify(
    error instanceof RadfedError
      ? { error: error.code, message: error.message }
      : { error: 'internal', message: 'The hub could not open this session.' },
  );
  const reason =
    status === 401
      ? 'Unauthorized'
      : status === 403
        ? 'Forbidden'
        : status === 426
          ? 'Upgrade Required'
          : status === 503
            ? 'Service Unavailable'
            : status === 429
              ? 'Too Many Requests'
              : 'Refused';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\n${retryAfter}${upgrade}content-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function toBytes(data: RawData): Uint8Array {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return new Uint8Array(data);
}
