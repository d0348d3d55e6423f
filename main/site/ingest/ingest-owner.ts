// Which process owns an ingest run and its in-flight quarantine copies, and whether that process is
// still there. A process is named by host, pid and (on Linux) its start time in clock ticks since boot,
// so a pid the system has since given to another program is not mistaken for the owner. The start-up
// recovery (ingest-recovery.ts) removes what an owner that is gone left behind, and nothing else: two
// ingests at once never touch each other's files.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** `<host>_<pid>_<start ticks>`: letters, digits, dots and hyphens in the host, '_' between parts. */
export type IngestOwner = string;

const OWNER = /^([A-Za-z0-9.-]{1,64})_(\d{1,10})_(\d{1,20})$/;

let current: IngestOwner | undefined;

/** This process, as an owner of runs and in-flight files. */
export function currentOwner(): IngestOwner {
  current ??= `${hostLabel()}_${process.pid}_${startTicks(process.pid) ?? 0}`;
  return current;
}

export function isOwnerName(value: string): boolean {
  return OWNER.test(value);
}

/**
 * False only when the owner is certainly gone: a process of this host whose pid no longer runs, or
 * now runs a program started at another time. An owner of another host (a site folder on a share)
 * or a name that cannot be read is taken as alive: its files are left alone.
 */
export function isOwnerAlive(owner: string | null): boolean {
  if (owner === null) return false; // a run recorded before owners were: its process is long gone
  const match = OWNER.exec(owner);
  if (match === null) return true;
  const [, host, pidText, ticks] = match as unknown as [string, string, string, string];
  if (host !== hostLabel()) return true;
  const pid = Number(pidText);
  if (pid === process.pid) return owner === currentOwner();
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: a process of another user has that pid; it is still somebody's, so not provably ours gone.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const started = startTicks(pid);
  return started === null || ticks === '0' || String(started) === ticks;
}

function hostLabel(): string {
  return (
    hostname()
      .replace(/[^A-Za-z0-9.-]/g, '-')
      .slice(0, 64) || 'host'
  );
}

/** Field 22 of /proc/<pid>/stat (Linux); null elsewhere or when it cannot be read. */
function startTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const value = Number(fields[19]);
    return Number.isSafeInteger(value) ? value : null;
  } catch {
    return null;
  }
}
