// A real HAProxy (Debian's `haproxy` package) in front of hub replicas, for the replication tests: round
// robin, and a health check of each replica on GET /v1/hub (the one route anyone may call; it answers
// 200 while the replica serves). TCP mode: TLS passes through, so each replica presents the hub's own
// certificate, the one the sites pinned at enrollment, and HAProxy holds no key. So that the replicas
// still see each client's own address, HAProxy sends a PROXY protocol v2 header first (`send-proxy-v2`,
// and `check-send-proxy` on its health checks); it connects to the replicas from BALANCER_ADDRESS, the
// address the replicas are started to accept that header from (tests still reach a replica directly
// from 127.0.0.1). docs/hub-operations.md shows the same configuration for production.
//
// Started in the foreground (-db) as a child of the test process, with an admin socket in its temporary
// folder so tests can read which replicas it counts as up; stopped and removed on teardown and on exit.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from './postgres-server.ts';

export const HAPROXY = '/usr/sbin/haproxy';
/** The loopback alias HAProxy connects to the replicas from: name it in startHub's proxyFrom. */
export const BALANCER_ADDRESS = '127.0.0.3';

export interface ReplicaAddress {
  readonly name: string;
  readonly port: number;
}

export interface ReplicaState {
  readonly name: string;
  /** UP, DOWN, or a transition such as "UP 1/2". */
  readonly status: string;
  /** Connections HAProxy has handed this replica so far. */
  readonly connections: number;
}

export interface RunningHaproxy {
  readonly port: number;
  readonly configPath: string;
  /** Each replica as HAProxy sees it now (from its admin socket). */
  replicas(): Promise<ReplicaState[]>;
  stop(): Promise<void>;
}

export interface HaproxyOptions {
  /** The health check's path (default /v1/hub). */
  readonly healthPath?: string;
  /** How often each replica is checked, in ms (default 200: tests want a dead replica noticed soon). */
  readonly checkIntervalMs?: number;
  /** Send the PROXY v2 header to the replicas (default true; their startHub must name BALANCER_ADDRESS). */
  readonly sendProxy?: boolean;
}

/** The configuration: the production one of docs/hub-operations.md, on loopback, with short timers. */
export function haproxyConfig(
  frontendPort: number,
  replicas: readonly ReplicaAddress[],
  adminSocket: string,
  options: HaproxyOptions = {},
): string {
  const interval = options.checkIntervalMs ?? 200;
  const proxyHeader = options.sendProxy === false ? '' : ' send-proxy-v2 check-send-proxy';
  const servers = replicas.map(
    (replica) =>
      `  server ${replica.name} 127.0.0.1:${replica.port}${proxyHeader} check check-ssl verify none inter ${interval} fall 2 rise 1`,
  );
  return [
    'global',
    '  maxconn 512',
    `  stats socket ${adminSocket} mode 600 level admin`,
    'defaults',
    '  mode tcp',
    '  timeout connect 5s',
    // Long-polls wait up to a few minutes for the next round: the idle timeouts must outlast them.
    '  timeout client 10m',
    '  timeout server 10m',
    '  timeout check 5s',
    // A connection refused by a replica that died since its last check is tried on another one.
    '  option redispatch',
    '  retries 2',
    'frontend hub',
    `  bind 127.0.0.1:${frontendPort}`,
    '  default_backend replicas',
    'backend replicas',
    '  balance roundrobin',
    `  source ${BALANCER_ADDRESS}`,
    '  option httpchk',
    `  http-check send meth GET uri ${options.healthPath ?? '/v1/hub'} ver HTTP/1.1 hdr Host hub`,
    '  http-check expect status 200',
    ...servers,
    '',
  ].join('\n');
}

function adminCommand(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const client = connect(socket, () => client.end(`${command}\n`));
    client.on('data', (part: Buffer) => (answer += part.toString()));
    client.once('error', reject);
    client.once('close', () => resolve(answer));
  });
}

/** Starts HAProxy on a free loopback port in front of the given replicas. */
export async function startHaproxy(
  replicas: readonly ReplicaAddress[],
  options: HaproxyOptions = {},
): Promise<RunningHaproxy> {
  const root = mkdtempSync(join(tmpdir(), 'radfed-haproxy-'));
  const configPath = join(root, 'haproxy.cfg');
  const adminSocket = join(root, 'admin.sock');
  const port = await freeLoopbackPort();
  writeFileSync(configPath, haproxyConfig(port, replicas, adminSocket, options));
  const check = spawnSync(HAPROXY, ['-c', '-q', '-f', configPath], { encoding: 'utf8' });
  if (check.status !== 0) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`HAProxy refused the configuration: ${check.stderr || check.stdout}`);
  }
  const child = spawn(HAPROXY, ['-db', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (part: Buffer) => (log += part.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // As for the PostgreSQL test server: a test process killed outright runs no exit handler, so a
  // watchdog stops HAProxy once that process is gone.
  const watchdog = spawn(
    '/bin/sh',
    [
      '-c',
      'while [ -d "/proc/$0" ]; do sleep 1; done; kill -9 "$1"; rm -rf "$2"',
      String(process.pid),
      String(child.pid),
      root,
    ],
    { cwd: '/', detached: true, stdio: 'ignore' },
  );
  watchdog.unref();
  const stopNow = (): void => {
    watchdog.kill('SIGKILL');
    child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', stopNow);

  const replicaStates = async (): Promise<ReplicaState[]> => {
    const csv = await adminCommand(adminSocket, 'show stat');
    const [header, ...rows] = csv.trim().split('\n');
    const columns = (header ?? '').replace(/^# /, '').split(',');
    const at = (name: string): number => columns.indexOf(name);
    return rows
      .map((row) => row.split(','))
      .filter((fields) => fields[at('pxname')] === 'backend' || fields[at('pxname')] === 'replicas')
      .filter((fields) => !['BACKEND', 'FRONTEND'].includes(fields[at('svname')] ?? ''))
      .map((fields) => ({
        name: fields[at('svname')] ?? '',
        status: fields[at('status')] ?? '',
        connections: Number(fields[at('stot')] ?? 0),
      }));
  };
  // Ready once the admin socket answers, which HAProxy opens after it has bound its ports.
  for (let attempt = 0; ; attempt += 1) {
    try {
      await replicaStates();
      break;
    } catch (error) {
      if (child.exitCode !== null || attempt > 200) {
        stopNow();
        throw new Error(`HAProxy did not start: ${log}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    port,
    configPath,
    replicas: replicaStates,
    stop: async () => {
      process.removeListener('exit', stopNow);
      watchdog.kill('SIGKILL');
      child.kill('SIGTERM');
      await exited;
      rmSync(root, { recursive: true, force: true });
    },
  };
}
