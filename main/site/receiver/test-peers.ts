// For the receiver's and the CLI's tests: real DICOM peers on loopback (dcmtk's storescu and
// echoscu, Debian's Orthanc), a site in a temp folder, and instances to send. Not used by RadFed.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../../shared/node/index.ts';
import { parseDicom, setString, Tags, writeDicom } from '../dicom/index.ts';
import { initSite, openSite, type Site } from '../store/index.ts';
import { DicomReceiver } from './dicom-receiver.ts';
import type { ReceiverEvent } from './receiver-events.ts';
import type { ReceiverLimits } from './receiver-limits.ts';

export const TEST_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
export const ORTHANC = '/usr/sbin/Orthanc';

export interface PeerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a dcmtk tool without blocking the event loop (the receiver runs in this process). */
export function runPeer(tool: string, args: readonly string[], timeoutMs = 60_000): Promise<PeerResult> {
  return new Promise((resolve) => {
    execFile(
      tool,
      [...args],
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export function storescu(
  port: number,
  files: readonly string[],
  options: { calling?: string; called?: string; extra?: string[] } = {},
) {
  const { calling = 'PACS', called = 'RADFED', extra = [] } = options;
  return runPeer('/usr/bin/storescu', [
    '-aet',
    calling,
    '-aec',
    called,
    ...extra,
    '127.0.0.1',
    String(port),
    ...files,
  ]);
}

export function echoscu(port: number, calling = 'PACS', called = 'RADFED') {
  return runPeer('/usr/bin/echoscu', ['-aet', calling, '-aec', called, '127.0.0.1', String(port)]);
}

/** A new site in a temp folder, opened. Close `site.database` when done. */
export function makeSite(prefix: string): { root: string; site: Site } {
  const root = mkdtempSync(join(tmpdir(), `radfed-${prefix}-`));
  initSite(join(root, 'site'), { name: `${prefix} test site`, deidOptions: [] });
  return { root, site: openSite(join(root, 'site')) };
}

/** A pino logger whose lines are kept in `lines`, to look for leaks. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { logger: createLogger({ room: 'site', defaultLevel: 'debug', destination: sink }), lines };
}

/** `count` copies of a test file, each a distinct instance (new SOP Instance UID), written to `dir`. */
export function writeVariants(source: string, count: number, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const file = parseDicom(readFileSync(source));
  const uid = (i: number) => `1.2.826.0.1.3680043.10.1138.${Date.now() % 100000}.${i + 1}`;
  return Array.from({ length: count }, (_, i) => {
    setString(file.dataset, Tags.SOPInstanceUID, 'UI', uid(i));
    setString(file.meta, Tags.MediaStorageSOPInstanceUID, 'UI', uid(i));
    const path = join(dir, `instance-${String(i).padStart(4, '0')}.dcm`);
    writeFileSync(path, Buffer.concat(writeDicom(file)));
    return path;
  });
}

/** A port nothing listens on, for a peer we start ourselves. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface OrthancPeer {
  baseUrl: string;
  upload(bytes: Uint8Array): Promise<string>;
  /** Pushes resources to the modality `radfed` (our receiver) with C-STORE; resolves with Orthanc's answer. */
  push(resources: readonly string[]): Promise<{ ok: boolean; status: number; body: string }>;
  stop(): Promise<void>;
}

/** Orthanc on loopback, with our receiver configured as the DICOM modality `radfed`. */
export async function startOrthanc(workDir: string, receiverPort: number): Promise<OrthancPeer> {
  const [httpPort, dicomPort] = [await freePort(), await freePort()];
  mkdirSync(join(workDir, 'storage'), { recursive: true });
  const configPath = join(workDir, 'orthanc.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      Name: 'radfed-receiver-test',
      StorageDirectory: join(workDir, 'storage'),
      IndexDirectory: join(workDir, 'storage'),
      HttpPort: httpPort,
      DicomPort: dicomPort,
      DicomAet: 'ORTHANC',
      DicomServerEnabled: true,
      RemoteAccessAllowed: false,
      AuthenticationEnabled: false,
      DicomModalities: { radfed: ['RADFED', '127.0.0.1', receiverPort] },
      DicomScuTimeout: 30,
      Plugins: [],
    }),
  );
  const child = spawn(ORTHANC, [configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const baseUrl = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Orthanc exited at start: ${stderr.slice(-500)}`);
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error('Orthanc did not answer on loopback within 30 s.');
    }
    const up = await fetch(`${baseUrl}/system`)
      .then((r) => r.ok)
      .catch(() => false);
    if (up) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    baseUrl,
    async upload(bytes) {
      const response = await fetch(`${baseUrl}/instances`, { method: 'POST', body: bytes });
      if (!response.ok) throw new Error(`Orthanc refused an upload (HTTP ${response.status}).`);
      return ((await response.json()) as { ParentStudy: string }).ParentStudy;
    },
    async push(resources) {
      const response = await fetch(`${baseUrl}/modalities/radfed/store`, {
        method: 'POST',
        body: JSON.stringify({ Resources: resources, Synchronous: true }),
      });
      return { ok: response.ok, status: response.status, body: await response.text() };
    },
    stop: () => stopChild(child),
  };
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  });
}

/**
 * A receiver on a loopback port for a new site, allowing calling AE title PACS, with its events
 * collected; `cleanups` gets what stops it and removes the site (run them after each test).
 */
export async function startTestReceiver(
  prefix: string,
  cleanups: Array<() => Promise<void> | void>,
  limits: Partial<ReceiverLimits> = {},
) {
  const { root, site } = makeSite(prefix);
  const events: ReceiverEvent[] = [];
  const receiver = new DicomReceiver({
    site,
    settings: { host: '127.0.0.1', port: 0, aeTitle: 'RADFED', allowedCallingAeTitles: ['PACS'] },
    onEvent: (event) => events.push(event),
    limits,
  });
  const { port } = await receiver.start();
  cleanups.push(async () => {
    await receiver.stop();
    site.database.close();
    rmSync(root, { recursive: true, force: true });
  });
  return { site, receiver, port, events };
}
