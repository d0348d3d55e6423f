// Debian's Orthanc, started on loopback with its own throw-away configuration, as the anonymizer
// RadFed is compared with (`radfed bench deid`).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ORTHANC_BINARY = '/usr/sbin/Orthanc';

export interface OrthancServer {
  baseUrl: string;
  version: string;
  stop(): Promise<void>;
}

export function orthancAvailable(): boolean {
  return existsSync(ORTHANC_BINARY);
}

export async function startOrthanc(workDir: string): Promise<OrthancServer> {
  const port = await freeLoopbackPort();
  mkdirSync(join(workDir, 'storage'), { recursive: true });
  const configPath = join(workDir, 'orthanc.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      Name: 'radfed-bench',
      StorageDirectory: join(workDir, 'storage'),
      IndexDirectory: join(workDir, 'storage'),
      HttpPort: port,
      DicomServerEnabled: false,
      RemoteAccessAllowed: false,
      AuthenticationEnabled: false,
      StorageCompression: false,
      HttpThreadsCount: 16,
      Plugins: [],
    }),
  );
  const child = spawn(ORTHANC_BINARY, [configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Orthanc exited at start: ${stderr.trim().slice(-500)}`);
    try {
      const response = await fetch(`${baseUrl}/system`);
      if (response.ok) {
        const system = (await response.json()) as { Version?: string };
        return { baseUrl, version: system.Version ?? 'unknown', stop: () => stopProcess(child) };
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stopProcess(child);
  throw new Error('Orthanc did not answer on loopback within 30 s.');
}

/** Stores a file in Orthanc and returns its instance id. */
export async function uploadInstance(server: OrthancServer, bytes: Uint8Array): Promise<string> {
  const response = await fetch(`${server.baseUrl}/instances`, { method: 'POST', body: bytes });
  if (!response.ok) throw new Error(`Orthanc refused an upload (HTTP ${response.status}).`);
  const body = (await response.json()) as { ID: string };
  return body.ID;
}

/** Orthanc's own instance-level anonymization; resolves to the anonymized file. */
export async function anonymizeInstance(server: OrthancServer, id: string): Promise<Uint8Array> {
  const response = await fetch(`${server.baseUrl}/instances/${id}/anonymize`, {
    method: 'POST',
    body: JSON.stringify({ Force: true }),
  });
  if (!response.ok) throw new Error(`Orthanc could not anonymize an instance (HTTP ${response.status}).`);
  return new Uint8Array(await response.arrayBuffer());
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  });
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
