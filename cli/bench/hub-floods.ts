// `radfed bench hub-floods`: what floods at the hub's edge cost it. The hub runs as its own process
// (the same startHub as `radfed hub serve`), so its resident memory is its own: read from /proc
// before, at the peak of, and after (a) concurrent large bodies with junk signature headers and (b)
// the same with an enrolled site's id and a junk signature; then (c) how long a site's upload chunk
// takes while many dashboard sign-ins (from different addresses and names, so the rate limit does
// not stop them) are checked.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWeights, hubPaths, uploadStatusSchema } from '../../shared/federation/index.ts';
import { enrollSite, HubClient } from '../../shared/node/federation/index.ts';
import { createEnrollmentToken, createTask, initHub, openHubContext } from '../../hub/index.ts';
import { setCoordinatorPassword } from '../../hub/dashboard/index.ts';
import { hiddenField } from '../../hub/dashboard/testing/dashboard-client.ts';
import { junkSignatureHeaders, sendRaw, type RawAnswer } from '../../hub/server/testing/raw-sender.ts';
import { testTask, testWeights } from '../../hub/testing/test-hub.ts';

export interface FloodFigure {
  readonly what: string;
  readonly rssBeforeMiB: number;
  readonly rssPeakMiB: number;
  readonly rssAfterMiB: number;
  readonly answers: Record<string, number>;
}

export interface SignInFloodFigure {
  readonly signIns: number;
  readonly chunkMsQuiet: number[];
  readonly chunkMsDuringFlood: number[];
  readonly answers: Record<string, number>;
}

export interface HubFloodOptions {
  /** The repository root (the hub child runs from its source). */
  readonly repoRoot: string;
  readonly bodies: number;
  readonly bodyMiB: number;
  readonly signIns: number;
  readonly log: (line: string) => void;
}

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runHubFloods(
  options: HubFloodOptions,
): Promise<{ floods: FloodFigure[]; signIn: SignInFloodFigure }> {
  const root = mkdtempSync(join(tmpdir(), 'radfed-floods-'));
  const dir = join(root, 'hub');
  let child: ChildProcess | undefined;
  try {
    await initHub({ dir, name: 'flood bench' });
    const ctx = openHubContext(dir);
    const tokens: string[] = [];
    for (let i = 0; i < 2; i += 1)
      tokens.push(
        (await createEnrollmentToken(ctx, { hubUrl: 'https://127.0.0.1:1', expiresInMs: 3600_000 })).token,
      );
    // A model of 256 KiB, so an update is uploaded in several chunks.
    const taskId = (
      await createTask(ctx, testTask({ quorum: 1 }), encodeWeights(testWeights(1, 0.1, 16_384)))
    ).id;
    const caPem = ctx.keys.caCertPem;
    await ctx.store.close();
    await setCoordinatorPassword(dir, 'coordinator', randomBytes(18).toString('base64url'));

    // Each measurement on a freshly started hub process, so one flood's leftovers do not hide the next.
    let url = '';
    let pid = 0;
    const restart = async () => {
      if (child) await stopHub(child);
      const started = await spawnHub(options.repoRoot, dir);
      child = started.child;
      pid = started.child.pid as number;
      url = started.url;
      await sleep(1000);
    };
    await restart();
    // Alpha's id is the one the second flood names; Bravo uploads during the sign-in flood.
    const alpha = await enrollSite({ token: tokens[0] as string, siteName: 'Alpha', hubUrl: url });
    const bravo = await enrollSite({ token: tokens[1] as string, siteName: 'Bravo', hubUrl: url });
    const body = Buffer.alloc(options.bodyMiB * MiB, 7);

    const floods: FloodFigure[] = [];
    for (const [what, headers] of [
      ['junk signature headers (unknown site)', () => junkSignatureHeaders('site_0000000000000000')],
      ["an enrolled site's id, junk signature", () => junkSignatureHeaders(alpha.siteId)],
    ] as const) {
      options.log(`Flood: ${options.bodies} x ${options.bodyMiB} MiB, ${what}…`);
      if (floods.length > 0) await restart();
      const before = rssMiB(pid);
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 20);
      const answers = await Promise.all(
        Array.from({ length: options.bodies }, () =>
          sendRaw({
            url,
            caPem,
            method: 'PUT',
            path: hubPaths.chunk('upl_0000000000000000', 0),
            headers: { ...headers(), 'content-type': 'application/octet-stream' },
            body,
          }),
        ),
      );
      await sleep(2000);
      clearInterval(sampler);
      const after = rssMiB(pid);
      floods.push({
        what,
        rssBeforeMiB: before,
        rssPeakMiB: Math.max(peak, after),
        rssAfterMiB: after,
        answers: tally(answers.map(describe)),
      });
    }

    options.log(`Sign-in flood: ${options.signIns} sign-ins while a site uploads chunks…`);
    await restart();
    const client = HubClient.fromEnrollment({ ...bravo, hubUrl: url });
    await client.joinTask(taskId);
    const round = await roundCollecting(client, taskId);
    const quiet = await timeChunks(client, taskId, round, 8);
    let flooding = true;
    const flood = Promise.all(
      Array.from({ length: options.signIns }, (_, i) => signIn(url, caPem, i)),
    ).finally(() => (flooding = false));
    const during = await timeChunks(client, taskId, round, 36, () => flooding);
    const signInAnswers = await flood;
    return {
      floods,
      signIn: {
        signIns: options.signIns,
        chunkMsQuiet: quiet,
        chunkMsDuringFlood: during,
        answers: tally(signInAnswers.map(String)),
      },
    };
  } finally {
    child?.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  }
}

function stopHub(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function spawnHub(repoRoot: string, dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'hub/testing/serve-child.ts', dir, '0'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (part: Buffer) => {
      output += part.toString();
      const match = /listening on (https:\/\/\S+)/.exec(output);
      if (match?.[1]) resolve({ child, url: match[1] });
    });
    child.stderr?.on('data', (part: Buffer) => (output += part.toString()));
    child.on('exit', (code) => reject(new Error(`The hub exited (${code}) before it listened: ${output}`)));
  });
}

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(match?.[1] ?? 0) / 1024);
}

function describe(answer: RawAnswer): string {
  return answer.status ? `${answer.status} ${answer.code ?? ''}`.trim() : `closed (${answer.closed})`;
}

function tally(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

async function roundCollecting(client: HubClient, taskId: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const view = await client.getRound(taskId);
    if (view.state === 'collecting' && view.round) return view.round;
    await sleep(100);
  }
  throw new Error('Round 1 did not open.');
}

/**
 * Uploads up to `count` chunks of 32 KiB (each flushed to disk by the hub, on libuv's pool) and times
 * each PUT; with `going`, stops once it says the flood is over.
 */
async function timeChunks(
  client: HubClient,
  taskId: string,
  round: number,
  count: number,
  going: () => boolean = () => true,
): Promise<number[]> {
  const bytes = randomBytes(count * 32 * 1024);
  const status = await client.call(uploadStatusSchema, 'POST', hubPaths.uploads(taskId), {
    round,
    kind: 'delta',
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    chunkBytes: 32 * 1024,
  });
  const times: number[] = [];
  for (let index = 0; index < count && going(); index++) {
    const chunk = bytes.subarray(index * 32 * 1024, (index + 1) * 32 * 1024);
    const start = performance.now();
    await client.send('PUT', hubPaths.chunk(status.uploadId, index), chunk, 'application/octet-stream');
    times.push(Math.round(performance.now() - start));
    await sleep(25);
  }
  return times;
}

/** One browser-like sign-in with a wrong password, from its own loopback address and user name. */
async function signIn(url: string, caPem: string, n: number): Promise<number> {
  const localAddress = `127.0.${1 + Math.floor(n / 250)}.${1 + (n % 250)}`;
  const form = await https(url, caPem, localAddress, 'GET', '/dashboard/login');
  const cookie = [form.headers['set-cookie'] ?? []]
    .flat()
    .map((line) => line.split(';')[0])
    .join('; ');
  const body = new URLSearchParams({
    login: hiddenField(form.text, 'login'),
    user: `guess-${n}`,
    password: 'not the password at all',
  }).toString();
  const answer = await https(url, caPem, localAddress, 'POST', '/dashboard/login', body, {
    cookie,
    origin: new URL(url).origin,
    'content-type': 'application/x-www-form-urlencoded',
  });
  return answer.status;
}

function https(
  url: string,
  caPem: string,
  localAddress: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, url),
      { method, ca: caPem, agent: false, localAddress, headers },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(parts).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
