// `radfed bench receiver-flood`: what an allowed sender whose DIMSE command never ends costs the DICOM
// receiver, which aborts such an association after one PDU plus 64 KiB of message. The receiver
// runs in its own process (receiver-flood-target.ts); a raw client associates as PACS and sends
// command fragments without the "last" bit, as fast as the receiver reads them, until it closes the
// connection or the byte or time budget runs out. Resident memory is read from /proc: before, its peak
// (VmHWM) and after.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { pDataFragment, PduType, RawPeer } from '../../main/site/receiver/raw-peer.ts';
import { parsePositiveInt } from '../arguments.ts';

export interface ReceiverFloodFigure {
  readonly receiverRoot: string;
  readonly fragmentBytes: number;
  readonly bytesSent: number;
  readonly seconds: number;
  /** Whether the receiver ended the connection (A-ABORT or close) before the budget ran out. */
  readonly receiverClosed: boolean;
  readonly abortReceived: boolean;
  readonly rssBeforeMiB: number;
  readonly rssPeakMiB: number;
  readonly rssAfterMiB: number;
}

const OWN_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function benchmarkReceiverFlood(options: {
  receiverRoot?: string;
  megabytes: number;
  seconds: number;
  fragmentKiB: number;
}): Promise<ReceiverFloodFigure> {
  const receiverRoot = resolve(options.receiverRoot ?? OWN_ROOT);
  const work = mkdtempSync(join(tmpdir(), 'radfed-receiver-flood-'));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(receiverRoot, 'cli/bench/receiver-flood-target.ts'), join(work, 'site')],
    { cwd: receiverRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const port = await new Promise<number>((resolvePort, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /port (\d+)/.exec(out);
        if (match) resolvePort(Number(match[1]));
      });
      child.once('exit', (code) => reject(new Error(`the receiver exited at start (code ${code})`)));
    });
    await pause(1000); // let start-up garbage settle
    const before = memoryOf(child.pid as number);
    const peer = await RawPeer.connect(port);
    if ((await peer.associate('PACS')) !== PduType.AssociateAc) throw new Error('the receiver refused PACS');
    const fragment = pDataFragment(Buffer.alloc(options.fragmentKiB * 1024, 0x20), {
      command: true,
      last: false,
    });
    const started = performance.now();
    const deadline = started + options.seconds * 1000;
    const budget = options.megabytes * 1024 * 1024;
    let bytesSent = 0;
    while (bytesSent < budget && performance.now() < deadline && (await peer.send(fragment))) {
      bytesSent += fragment.length;
    }
    const seconds = (performance.now() - started) / 1000;
    const receiverClosed = peer.isClosed;
    const abortReceived = peer.receivedTypes.includes(PduType.Abort);
    const peak = memoryOf(child.pid as number).peak;
    peer.destroy();
    await pause(2000);
    const after = memoryOf(child.pid as number);
    return {
      receiverRoot,
      fragmentBytes: fragment.length,
      bytesSent,
      seconds,
      receiverClosed,
      abortReceived,
      rssBeforeMiB: before.rss,
      rssPeakMiB: peak,
      rssAfterMiB: after.rss,
    };
  } finally {
    child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
}

export function formatReceiverFlood(figure: ReceiverFloodFigure): string {
  const mib = (n: number) => `${n.toFixed(0)} MiB`;
  return (
    `Receiver at ${figure.receiverRoot}: sent ${(figure.bytesSent / 1048576).toFixed(1)} MiB of one unfinished ` +
    `command in ${figure.seconds.toFixed(1)} s (${figure.fragmentBytes}-byte P-DATA PDUs); ` +
    (figure.receiverClosed
      ? `the receiver closed the connection${figure.abortReceived ? ' with A-ABORT' : ''}.\n`
      : 'the receiver still held the connection when the budget ran out.\n') +
    `Receiver RSS: before ${mib(figure.rssBeforeMiB)}, peak ${mib(figure.rssPeakMiB)}, after ${mib(figure.rssAfterMiB)}.\n`
  );
}

export function registerBenchReceiverFloodCommand(bench: Command): void {
  bench
    .command('receiver-flood')
    .summary("the DICOM receiver's memory under a command that never ends")
    .description(
      'Starts a receiver in its own process, associates as PACS on a raw socket and sends command\n' +
        'fragments that never carry the "last" bit, until the receiver closes the connection or the\n' +
        "budget runs out; prints the bytes sent and the receiver's resident memory before, at its peak\n" +
        'and after. --receiver-root measures another checkout (copy cli/bench/receiver-flood-target.ts into it).',
    )
    .option('--megabytes <n>', 'most bytes to send', (v) => parsePositiveInt(v, '--megabytes'), 1024)
    .option('--seconds <n>', 'most seconds to send for', (v) => parsePositiveInt(v, '--seconds'), 30)
    .option('--fragment-kib <n>', 'size of each fragment', (v) => parsePositiveInt(v, '--fragment-kib'), 16)
    .option('--receiver-root <folder>', 'the checkout whose receiver is measured (default: this one)')
    .option('--json', 'print JSON')
    .action(
      async (flags: {
        megabytes: number;
        seconds: number;
        fragmentKib: number;
        receiverRoot?: string;
        json?: boolean;
      }) => {
        const figure = await benchmarkReceiverFlood({
          megabytes: flags.megabytes,
          seconds: flags.seconds,
          fragmentKiB: flags.fragmentKib,
          ...(flags.receiverRoot ? { receiverRoot: flags.receiverRoot } : {}),
        });
        process.stdout.write(
          flags.json ? `${JSON.stringify(figure, null, 2)}\n` : formatReceiverFlood(figure),
        );
      },
    );
}
