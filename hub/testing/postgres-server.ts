// A real PostgreSQL for the hub's store tests: a fresh cluster (initdb) in a temporary folder, started
// with pg_ctl on a free loopback port and a Unix socket inside that folder, stopped and removed on
// teardown and when the test process exits. Debian's `postgresql` package provides the programs
// (scripts/install-test-deps.sh); nothing of the machine's own clusters is touched.
//
// initdb and the server refuse to run as root, so when the tests run as root (CI, containers) every
// program is started as an unprivileged user: Debian's `postgres` user when the package made one, or
// a `radfed-test` system user created here. The cluster's folder is handed to that user.
//
// The role `radfed` has a password and the loopback port asks for it (scram-sha-256), as a hospital's
// server would, so the connection URL carries a password the tests can check is never printed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PostgresServer {
  /** postgres://radfed:<password>@127.0.0.1:<port>/radfed */
  readonly url: string;
  readonly port: number;
  readonly password: string;
  /** Creates another empty database on this server (one per test that needs a clean one); its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast shutdown) and starts it again on the same port and data. */
  restart(): Promise<void>;
  /** Stops the server (fast shutdown), keeping its data, until startAgain(). */
  pause(): Promise<void>;
  startAgain(): Promise<void>;
  /** Stops the server and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
}

interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

const TEST_USER = 'radfed-test';

/** The newest PostgreSQL server programs installed: /usr/lib/postgresql/<major>/bin. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (newest === undefined)
    throw new Error(
      "PostgreSQL's server programs are not installed: run `bash scripts/install-test-deps.sh` (Debian package postgresql).",
    );
  return join(root, newest, 'bin');
}

/** A free loopback port, as the kernel hands one out (closed again before the server takes it). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function idOf(flag: '-u' | '-g', user: string): number | undefined {
  const result = spawnSync('id', [flag, user], { encoding: 'utf8' });
  return result.status === 0 ? Number(result.stdout.trim()) : undefined;
}

/** Who runs PostgreSQL's programs: this process when it is not root, else an unprivileged user. */
function unprivilegedUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const user of ['postgres', TEST_USER]) {
    const uid = idOf('-u', user);
    const gid = idOf('-g', user);
    if (uid !== undefined && gid !== undefined) return { uid, gid };
  }
  const made = spawnSync(
    'useradd',
    ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', TEST_USER],
    {
      encoding: 'utf8',
    },
  );
  const uid = idOf('-u', TEST_USER);
  const gid = idOf('-g', TEST_USER);
  if (uid === undefined || gid === undefined)
    throw new Error(`Cannot create the system user ${TEST_USER} to run PostgreSQL as: ${made.stderr.trim()}`);
  return { uid, gid };
}

function run(program: string, args: string[], runAs: RunAs | undefined, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: cwd },
      ...(runAs ?? {}),
    });
    let output = '';
    child.stdout.on('data', (part: Buffer) => (output += part.toString()));
    child.stderr.on('data', (part: Buffer) => (output += part.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${program} ${args[0] ?? ''} exited ${code}: ${output}`)),
    );
  });
}

/**
 * Creates and starts a cluster with a role and a database both named `radfed`. Settings are for tests:
 * fsync off unless `durable` (the tests kill clients, never the machine) and small buffers (several
 * engineers share two cores).
 */
export async function startPostgresServer(options: { durable?: boolean } = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const runAs = unprivilegedUser();
  const root = mkdtempSync(join(tmpdir(), 'radfed-postgres-'));
  if (runAs) chownSync(root, runAs.uid, runAs.gid);
  const dataDir = join(root, 'data');
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const passwordFile = join(root, 'password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (runAs) chownSync(passwordFile, runAs.uid, runAs.gid);
  const pgCtl = join(bin, 'pg_ctl');
  let stopped = false;
  let watchdog: ChildProcess | undefined;
  const stopNow = (): void => {
    if (stopped) return;
    stopped = true;
    watchdog?.kill('SIGKILL');
    spawnSync(pgCtl, ['stop', '-D', dataDir, '-m', 'immediate', '-w'], { stdio: 'ignore', ...(runAs ?? {}) });
    rmSync(root, { recursive: true, force: true });
  };
  // A test process that ends without its teardown (a failed hook, an uncaught error) still stops it.
  process.once('exit', stopNow);
  try {
    await run(
      join(bin, 'initdb'),
      [
        '-D',
        dataDir,
        '-U',
        'radfed',
        `--pwfile=${passwordFile}`,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '-E',
        'UTF8',
        '--no-sync',
      ],
      runAs,
      root,
    );
    const port = await freeLoopbackPort();
    const serverOptions = [
      `-p ${port}`,
      `-k ${root}`,
      '-c listen_addresses=127.0.0.1',
      // Benchmarks ask for a durable server (fsync on), to compare with SQLite's synchronous=FULL.
      `-c fsync=${options.durable === true ? 'on' : 'off'}`,
      '-c shared_buffers=16MB',
      '-c max_connections=40',
    ].join(' ');
    const start = (): Promise<string> =>
      run(
        pgCtl,
        ['start', '-D', dataDir, '-w', '-t', '60', '-l', join(root, 'server.log'), '-o', serverOptions],
        runAs,
        root,
      );
    await start();
    // A test process killed outright (SIGKILL, or a worker the runner ends with a signal) runs no exit
    // handler; this watchdog outlives it, and stops the server and removes its folder once it is gone.
    watchdog = spawn(
      '/bin/sh',
      [
        '-c',
        'while [ -d "/proc/$3" ]; do sleep 1; done; "$0" stop -D "$1" -m immediate -w; rm -rf "$2"',
        pgCtl,
        dataDir,
        root,
        String(process.pid),
      ],
      { cwd: '/', detached: true, stdio: 'ignore', ...(runAs ?? {}) },
    );
    watchdog.unref();
    await run(join(bin, 'createdb'), ['-h', root, '-p', String(port), '-U', 'radfed', 'radfed'], runAs, root);
    const urlOf = (database: string): string => `postgres://radfed:${password}@127.0.0.1:${port}/${database}`;
    return {
      url: urlOf('radfed'),
      port,
      password,
      createDatabase: async (name) => {
        if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
        await run(join(bin, 'createdb'), ['-h', root, '-p', String(port), '-U', 'radfed', name], runAs, root);
        return urlOf(name);
      },
      restart: async () => {
        await run(pgCtl, ['stop', '-D', dataDir, '-m', 'fast', '-w'], runAs, root);
        await start();
      },
      pause: async () => {
        await run(pgCtl, ['stop', '-D', dataDir, '-m', 'fast', '-w'], runAs, root);
      },
      startAgain: async () => {
        await start();
      },
      stop: () => {
        process.removeListener('exit', stopNow);
        stopNow();
        return Promise.resolve();
      },
    };
  } catch (error) {
    process.removeListener('exit', stopNow);
    stopNow();
    throw error;
  }
}
