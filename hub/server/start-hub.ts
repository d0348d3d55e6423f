// Starts the hub: Fastify over HTTPS with the hub's own certificate chain, the site routes, and a
// timer that moves rounds on (deadlines) and forgets expired nonces. Before it listens, it brings every
// round up to date, so a hub restarted after a crash continues where it was.
import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import { closeSilentConnections, createLogger } from '../../shared/node/index.ts';
import { registerDashboard, type DashboardAuthOptions } from '../dashboard/index.ts';
import { createEnrollmentToken, type CreatedToken } from '../enrollment.ts';
import { openHubContextFor, type HubContext, type HubLimits } from '../hub-context.ts';
import type { StoreChoice } from '../store-choice.ts';
import { forgetOldNonces } from '../request-auth.ts';
import { advanceAllTasks, advanceTask, type RoundEvent } from '../rounds.ts';
import { keepNewFilesPrivate, tightenHubFolder } from '../setup/index.ts';
import { SplitSessions, type SplitSessionLimits } from '../split/index.ts';
import { admitBodies, type BodyAdmissionOptions } from './body-admission.ts';
import type { BodyBudget } from './body-budget.ts';
import { installErrorHandling, type HubApp } from './http-plumbing.ts';
import { registerHealthRoute } from './health-route.ts';
import { checkSiteProtocol, type HubProtocol } from './protocol-check.ts';
import { registerHeartbeatRoute } from './heartbeat-routes.ts';
import { registerSecAggRoutes } from './secagg-routes.ts';
import { registerHomomorphicRoutes } from './homomorphic-routes.ts';
import { acceptProxyHeaders, type ProxyFront } from './proxy-front.ts';
import { registerSiteRoutes } from './site-routes.ts';

export interface StartHubOptions {
  readonly dir: string;
  /** 0 picks a free port. Default: the port in hub.json. */
  readonly port?: number;
  /** Address to listen on. Default 127.0.0.1; 0.0.0.0 for every interface. */
  readonly host?: string;
  /** A pino logger, or false for none. Default: pino at info level on stdout. */
  readonly logger?: Logger | false;
  /** How often deadlines are checked, in ms (default 1000). */
  readonly tickMs?: number;
  readonly limits?: Partial<HubLimits>;
  readonly now?: () => number;
  /** Told of every round transition (used by the CLI's progress lines and the benchmarks). */
  readonly onRoundEvent?: (event: RoundEvent) => void;
  /** The coordinator dashboard's session and sign-in limits (tests shorten them). */
  readonly dashboard?: DashboardAuthOptions;
  /** How many unverified body bytes the hub holds at once, and how slow a body may be (tests shrink them). */
  readonly bodies?: BodyAdmissionOptions;
  /** PostgreSQL and the blob folder instead of what the hub folder records (default: its store.json, else SQLite). */
  readonly store?: StoreChoice;
  /** Split learning's session limits (tests shrink the step timeout). */
  readonly split?: Partial<SplitSessionLimits>;
  /**
   * The load balancers' IP addresses (HAProxy with `send-proxy-v2`): connections from them must begin
   * with a PROXY v2 header, whose client address every route then sees; others may not send one.
   */
  readonly proxyFrom?: readonly string[];
  /** How long a connection may take to send its PROXY header (default 5 s; tests shorten it). */
  readonly proxyHeaderTimeoutMs?: number;
  /** How long a connection may take from its TLS handshake to its first request head (default 20 s; tests shorten it). */
  readonly firstRequestMs?: number;
  /** The hub protocol it speaks and the oldest site it serves (default this release's; tests rehearse an upgrade). */
  readonly protocol?: HubProtocol;
}

export interface RunningHub {
  /** https://host:port as sites should dial it. */
  readonly url: string;
  readonly port: number;
  readonly ctx: HubContext;
  /** The HTTPS server (tests count what it reads from its connections). */
  readonly server: HubApp['server'];
  /** Room for request bodies not yet verified (tests and benchmarks read what it holds). */
  readonly bodies: BodyBudget;
  /** Split learning's sessions: the process that starts the hub hands each split task's trunk in. */
  readonly split: SplitSessions;
  /** A one-time enrollment token whose URL hint is this running hub. */
  createToken(options?: { siteName?: string; expiresInMs?: number }): Promise<CreatedToken>;
  /** Moves every task's rounds on now (tests and benchmarks use it instead of waiting for the timer). */
  advance(): Promise<void>;
  close(): Promise<void>;
}

export async function startHub(options: StartHubOptions): Promise<RunningHub> {
  keepNewFilesPrivate();
  const logger = options.logger === undefined ? createLogger({ room: 'hub' }) : options.logger;
  const ctx = await openHubContextFor(options.dir, {
    ...(options.now ? { now: options.now } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.store ? { store: options.store } : {}),
    onEventFailure: (error) => {
      if (logger) logger.warn({ err: error }, 'a wake-up for long-polling sites was not delivered');
    },
  });
  // A folder made by an older RadFed, copied, or opened up by hand: private again before sites connect.
  let opened: string[];
  try {
    opened = tightenHubFolder(options.dir);
  } catch (error) {
    await ctx.store.close();
    throw error;
  }
  if (opened.length > 0 && logger) {
    logger.warn(
      { paths: opened.slice(0, 20), count: opened.length },
      'the hub folder was readable by other users; made it private (folders 0700, files 0600)',
    );
  }
  const closing = new AbortController();
  const app: HubApp = Fastify({
    // A TLS handshake left unfinished is closed after 10 s (Node's default waits 120 s): anyone on the
    // network can open one before a request is signed (hub/split/split-door.spec.ts).
    https: { key: ctx.keys.serverKeyPem, cert: ctx.keys.serverChainPem, handshakeTimeout: 10_000 },
    ...(logger ? { loggerInstance: logger as FastifyBaseLogger } : { logger: false }),
    bodyLimit: ctx.limits.maxJsonBytes,
    // Request logs carry method, URL and status only (Fastify's defaults): never headers or bodies.
    forceCloseConnections: true,
  });
  closeSilentConnections(app.server, options.firstRequestMs);
  // Before admitBodies: a site the hub cannot serve is told so before its signature is checked.
  checkSiteProtocol(app, options.protocol);
  const bodies = admitBodies(app, ctx, options.bodies);
  installErrorHandling(app, ctx);
  const onEvent = (event: RoundEvent) => {
    if (logger) logger.info({ task: event.taskId, round: event.round, state: event.state }, 'round changed');
    options.onRoundEvent?.(event);
  };
  registerSiteRoutes(
    app,
    ctx,
    closing.signal,
    (taskId) => advanceTask(ctx, taskId, onEvent),
    options.protocol,
  );
  registerSecAggRoutes(app, ctx, (taskId) => advanceTask(ctx, taskId, onEvent));
  registerHomomorphicRoutes(app, ctx, (taskId) => advanceTask(ctx, taskId, onEvent));
  registerHeartbeatRoute(app, ctx);
  registerHealthRoute(app, ctx);
  registerDashboard(app, ctx, options.dashboard);
  const split = new SplitSessions(ctx, logger, options.split);
  split.attach(app.server);
  const advance = () => advanceAllTasks(ctx, onEvent);
  // The tasks are moved on before sites connect; one that cannot move (its definition unreadable to
  // this RadFed) is logged, as on every tick, and does not keep the hub from starting.
  await advance().catch((error: unknown) => {
    if (logger) logger.error({ err: error }, 'a task could not be moved on at start');
  });

  let tick: Promise<void> | null = null;
  let ticks = 0;
  const timer = setInterval(() => {
    if (tick) return;
    ticks += 1;
    tick = advance()
      .then(async () => {
        if (ticks % 60 === 0) await forgetOldNonces(ctx);
      })
      .catch((error: Error) => {
        if (logger) logger.error({ err: error }, 'deadline check failed');
      })
      .finally(() => {
        tick = null;
      });
  }, options.tickMs ?? 1000);
  timer.unref();

  const host = options.host ?? '127.0.0.1';
  let proxyFront: ProxyFront | undefined;
  try {
    if (options.proxyFrom) {
      // After every route and the split sessions' upgrade handler are in place, before the first connection.
      await app.ready();
      proxyFront = acceptProxyHeaders(app.server, {
        from: options.proxyFrom,
        ...(options.proxyHeaderTimeoutMs !== undefined
          ? { headerTimeoutMs: options.proxyHeaderTimeoutMs }
          : {}),
        logger,
      });
    }
    await app.listen({ port: options.port ?? ctx.config.port, host });
  } catch (error) {
    // A port in use or not ours: nothing may keep ticking on the store of a hub that never served.
    clearInterval(timer);
    closing.abort();
    split.close();
    await app.close();
    await tick;
    await ctx.store.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? ctx.config.port);
  const wildcard = host === '0.0.0.0' || host === '::';
  const urlHost = wildcard ? (ctx.config.hosts[0] as string) : host;
  const url = `https://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${port}`;

  let closed = false;
  return {
    url,
    port,
    ctx,
    server: app.server,
    bodies,
    split,
    createToken: (token = {}) =>
      createEnrollmentToken(ctx, {
        hubUrl: url,
        ...(token.siteName ? { siteName: token.siteName } : {}),
        expiresInMs: token.expiresInMs ?? 24 * 3600 * 1000,
      }),
    advance,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      closing.abort();
      split.close();
      proxyFront?.close();
      await app.close();
      await tick; // a deadline check under way finishes before the store closes under it
      await ctx.store.close();
    },
  };
}
