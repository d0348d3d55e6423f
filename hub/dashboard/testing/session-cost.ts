// What a dashboard request costs the hub for its session check, as a figure for docs/benchmarks.md
// (not a test): one hub on a loopback port (its SQLite file, or a fresh database on a PostgreSQL this
// script starts), one coordinator signed in, then sequential GET /dashboard/tasks (a page that reads
// little else) and sign-ins, timed at the client. Run from the repository root:
//   npx tsx hub/dashboard/testing/session-cost.ts [sqlite|postgres] [requests]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHub } from '../../server/start-hub.ts';
import { initHub } from '../../setup/index.ts';
import { writeStoreChoice } from '../../store-choice.ts';
import { startPostgresServer, type PostgresServer } from '../../testing/postgres-server.ts';
import { setCoordinatorPassword } from '../index.ts';
import { DashboardClient, TEST_SCRYPT_COST } from './dashboard-client.ts';

const PASSWORD = 'correct horse battery staple';

function summary(times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return `median ${at(0.5).toFixed(2)} ms, p95 ${at(0.95).toFixed(2)} ms (n = ${sorted.length})`;
}

async function timed(times: number[], work: () => Promise<unknown>): Promise<void> {
  const start = process.hrtime.bigint();
  await work();
  times.push(Number(process.hrtime.bigint() - start) / 1e6);
}

async function main(): Promise<void> {
  const engine = process.argv[2] ?? 'sqlite';
  const requests = Number(process.argv[3] ?? 300);
  const root = mkdtempSync(join(tmpdir(), 'radfed-session-cost-'));
  const dir = join(root, 'hub');
  let server: PostgresServer | undefined;
  try {
    await initHub({ dir, name: 'session cost' });
    if (engine === 'postgres') {
      server = await startPostgresServer();
      writeStoreChoice(dir, { database: await server.createDatabase('session_cost') });
    }
    await setCoordinatorPassword(dir, 'coordinator', PASSWORD, { cost: TEST_SCRYPT_COST });
    const hub = await startHub({
      dir,
      port: 0,
      logger: false,
      dashboard: { limiter: { perAddress: 1_000_000, perAccount: 1_000_000 } },
    });
    try {
      const client = new DashboardClient(hub.url, hub.ctx.keys.caCertPem);
      await client.login('coordinator', PASSWORD);
      for (let i = 0; i < 20; i++) await client.get('/dashboard/tasks'); // warm-up
      const pages: number[] = [];
      for (let i = 0; i < requests; i++) await timed(pages, () => client.get('/dashboard/tasks'));
      const signIns: number[] = [];
      for (let i = 0; i < Math.min(requests, 100); i++) {
        await timed(signIns, () =>
          new DashboardClient(hub.url, hub.ctx.keys.caCertPem).login('coordinator', PASSWORD),
        );
      }
      process.stdout.write(`${engine}: GET /dashboard/tasks ${summary(pages)}\n`);
      process.stdout.write(`${engine}: sign-in (form + POST, test scrypt cost) ${summary(signIns)}\n`);
    } finally {
      await hub.close();
    }
  } finally {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
