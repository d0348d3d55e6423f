// The site's end of one split-learning session: a WebSocket to the hub over TLS that trusts only the
// hub's own CA (pinned at enrollment), opened by an upgrade request signed with the site's key, then
// one exchange at a time: a cut frame up, the next cut frame (or a refusal) down. A lost connection or
// a refusal is an error that says what to do (`retry`); SplitSessionRunner decides how to go on.
import { type KeyObject } from 'node:crypto';
import { WebSocket, type RawData } from 'ws';
import { RadfedError } from '../../errors.ts';
import { splitRefusalSchema, splitSessionPath, type SplitRetry } from '../../federation/split/index.ts';
import { loadPrivateKey, signRequest } from '../federation/index.ts';
import type { LinkShaper } from './link-shaper.ts';

export class SplitConnectionError extends RadfedError {
  override readonly name = 'SplitConnectionError';
  constructor(
    code: string,
    message: string,
    /** What to do: send again (after reconnecting when the connection was lost), restart the step, or stop. */
    readonly retry: SplitRetry,
    readonly connectionLost = false,
    /** How long the hub asked the site to wait before trying again (its Retry-After), if it said. */
    readonly retryAfterMs?: number,
  ) {
    super(code, message);
  }
}

export interface SplitConnectionOptions {
  readonly hubUrl: string;
  readonly caPem: string;
  readonly siteId: string;
  readonly signingPrivateKeyPem: string;
  readonly taskId: string;
  /** The session's id (32 hex digits), the same in every frame. */
  readonly session: string;
  /** How long one exchange may take before the connection is given up (default 120 s). */
  readonly exchangeTimeoutMs?: number;
  /** The largest answer accepted (default 64 MiB). */
  readonly maxAnswerBytes?: number;
  /** Benchmarks: delay each message as a slower link would (the shaping layer). */
  readonly shaper?: LinkShaper;
}

export class SplitConnection {
  bytesSent = 0;
  bytesReceived = 0;
  private pending: {
    resolve: (answer: Uint8Array) => void;
    reject: (error: Error) => void;
    timer: NodeJS.Timeout;
  } | null = null;
  private lost: SplitConnectionError | null = null;

  private constructor(
    private readonly socket: WebSocket,
    private readonly options: SplitConnectionOptions,
  ) {
    socket.on('message', (data: RawData, isBinary: boolean) => this.received(toBytes(data), isBinary));
    socket.on('close', (code: number, reason: Buffer) =>
      this.fail(
        new SplitConnectionError(
          'connection-lost',
          `The split-learning connection to the hub closed (${code}${reason.length ? `: ${reason.toString()}` : ''}).`,
          code === 1002 || code === 1009 ? 'never' : 'again',
          true,
        ),
      ),
    );
    socket.on('error', () => undefined); // 'close' follows and carries the failure
  }

  static open(options: SplitConnectionOptions): Promise<SplitConnection> {
    const path = splitSessionPath(options.taskId, options.session);
    const key: KeyObject = loadPrivateKey(options.signingPrivateKeyPem);
    const headers = signRequest({ method: 'GET', path, siteId: options.siteId, privateKey: key });
    const url = new URL(path, options.hubUrl.replace(/^http/, 'ws'));
    const socket = new WebSocket(url, {
      ca: options.caPem,
      headers,
      perMessageDeflate: false,
      maxPayload: options.maxAnswerBytes ?? 64 * 1024 * 1024,
      handshakeTimeout: 30_000,
    });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new SplitConnection(socket, options)));
      socket.once('unexpected-response', (_request, response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('end', () => {
          socket.terminate();
          const said = parseUpgradeRefusal(Buffer.concat(parts).toString('utf8'));
          const status = response.statusCode ?? 0;
          // Only a 503 is worth trying again: the hub is busy, or has not yet served the task's trunk
          // (it has just restarted, or the task is new) and says when to come back. Every other refusal
          // (no such split task, an ended one, a foreign session) stays true, so the site stops at once.
          const retryable = status === 503;
          const retryAfterMs = retryable ? retryAfterMsOf(response.headers['retry-after']) : undefined;
          reject(
            new SplitConnectionError(
              said?.error ?? 'session-refused',
              said?.message ?? `The hub refused the split-learning session (HTTP ${status}).`,
              retryable ? 'again' : 'never',
              false,
              retryAfterMs,
            ),
          );
        });
      });
      socket.once('error', (error: Error & { code?: string }) =>
        reject(
          new SplitConnectionError(
            'hub-unreachable',
            `Could not open the split-learning session with the hub (${error.code ?? 'connection failed'}); it will be tried again.`,
            'again',
            true,
          ),
        ),
      );
    });
  }

  /** Sends one cut frame and resolves with the hub's answer frame. */
  async exchange(frame: Uint8Array): Promise<Uint8Array> {
    if (this.lost) throw this.lost;
    if (this.pending) throw new Error('one exchange at a time on a split-learning connection');
    if (this.options.shaper) await this.options.shaper.up(frame.length);
    if (this.lost) throw this.lost;
    const answer = new Promise<Uint8Array>((resolve, reject) => {
      const timeoutMs = this.options.exchangeTimeoutMs ?? 120_000;
      const timer = setTimeout(() => {
        this.fail(
          new SplitConnectionError(
            'hub-timeout',
            `The hub did not answer a split-learning frame within ${Math.round(timeoutMs / 1000)} s.`,
            'again',
            true,
          ),
        );
        this.socket.terminate();
      }, timeoutMs);
      this.pending = { resolve, reject, timer };
    });
    this.bytesSent += frame.length;
    this.socket.send(frame, { binary: true });
    const bytes = await answer;
    if (this.options.shaper) await this.options.shaper.down(bytes.length);
    return bytes;
  }

  close(): void {
    this.socket.close(1000);
  }

  /** Cuts the connection at once (tests: a site that vanishes). */
  terminate(): void {
    this.socket.terminate();
  }

  private received(bytes: Uint8Array, isBinary: boolean): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    clearTimeout(pending.timer);
    this.bytesReceived += bytes.length;
    if (isBinary) {
      pending.resolve(bytes);
      return;
    }
    const refusal = parseRefusal(Buffer.from(bytes).toString('utf8'));
    pending.reject(
      refusal
        ? new SplitConnectionError(refusal.error, refusal.message, refusal.retry)
        : new SplitConnectionError('bad-answer', 'The hub answered with an unreadable message.', 'never'),
    );
  }

  private fail(error: SplitConnectionError): void {
    this.lost ??= error;
    const pending = this.pending;
    this.pending = null;
    if (pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
  }
}

function parseRefusal(text: string) {
  try {
    const parsed = splitRefusalSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The hub's { error, message } body on a refused upgrade, or null. */
function parseUpgradeRefusal(text: string): { error: string; message: string } | null {
  try {
    const parsed = splitRefusalSchema.pick({ error: true, message: true }).safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Retry-After in seconds (RFC 9110 §10.2.3; the hub never sends the date form), capped at 5 minutes. */
function retryAfterMsOf(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\d{1,6}$/.test(value.trim())) return undefined;
  return Math.min(Number(value.trim()), 300) * 1000;
}

function toBytes(data: RawData): Uint8Array {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return new Uint8Array(data);
}
