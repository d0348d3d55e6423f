// The receiver's audit entries, written so that neither a hostile sender nor a full disk can turn
// them against the site.
// - A flood: refused and cut-off connections are counted per sender address (what a sender cannot
//   choose, unlike its AE titles) and reason. The first in a window is written in full; the rest are
//   summarised in one entry when the window closes (or the receiver stops), with how many there were
//   and how many different calling AE titles they used.
// - A full disk: an entry that cannot be written is logged and reported in words, never thrown into
//   the network code, where nothing would catch it and the process would end.
import type { Logger } from 'pino';
import { commandActor, type AuditDetail, type AuditEvent, type AuditLog } from '../audit/index.ts';
import { errorCode } from '../ingest/index.ts';

/** Sender addresses tracked one by one; past this, the rest are counted together. */
const MAX_SENDERS = 256;
/** Different AE titles remembered per window (for the count only). */
const MAX_TITLES = 1000;
export const OTHER_SENDERS = 'other addresses';

export type RejectionKind = 'refused' | 'cut-off';

export interface Rejection {
  kind: RejectionKind;
  /** A short code (`calling-ae-not-allowed`, `idle`, ...) and its words. */
  reason: string;
  words: string;
  remoteAddress: string;
  callingAeTitle: string | null;
  /** What goes into the full entry (the first of a window). */
  detail: AuditDetail;
}

interface Window {
  kind: RejectionKind;
  reason: string;
  words: string;
  sender: string;
  since: Date;
  more: number;
  titles: Set<string>;
  timer: NodeJS.Timeout;
}

export interface ConnectionAuditOptions {
  audit: AuditLog;
  windowMs: number;
  clock?: () => Date;
  log?: Logger;
  /** The audit log could not be written (or can again: null), in words. */
  onTrouble(reason: string | null): void;
}

export class ConnectionAudit {
  readonly #options: ConnectionAuditOptions;
  readonly #windows = new Map<string, Window>();
  #failing = false;

  constructor(options: ConnectionAuditOptions) {
    this.#options = options;
  }

  /** Appends an entry; false when it could not be written (already logged and reported). */
  append(event: AuditEvent): boolean {
    try {
      this.#options.audit.append(event);
    } catch (error) {
      const code = errorCode(error);
      this.#options.log?.error({ error: code, type: event.type }, 'audit entry could not be written');
      if (!this.#failing) this.#options.onTrouble(troubleWords(code));
      this.#failing = true;
      return false;
    }
    if (this.#failing) {
      this.#failing = false;
      this.#options.log?.info('the audit log can be written again');
      this.#options.onTrouble(null);
    }
    return true;
  }

  note(rejection: Rejection): void {
    const sender = this.#senderOf(rejection.remoteAddress);
    const key = `${rejection.kind}|${rejection.reason}|${sender}`;
    const open = this.#windows.get(key);
    if (open !== undefined) {
      open.more += 1;
      if (rejection.callingAeTitle !== null && open.titles.size < MAX_TITLES) {
        open.titles.add(rejection.callingAeTitle);
      }
      return;
    }
    const timer = setTimeout(() => this.#close(key), this.#options.windowMs);
    timer.unref();
    this.#windows.set(key, {
      kind: rejection.kind,
      reason: rejection.reason,
      words: rejection.words,
      sender,
      since: this.#now(),
      more: 0,
      titles: new Set(),
      timer,
    });
    this.append({
      type: rejection.kind === 'refused' ? 'receiver.association-refused' : 'receiver.connection-cut',
      actor: commandActor(),
      detail: rejection.detail,
    });
  }

  /** Writes the summary of every open window (at stop). */
  flush(): void {
    for (const key of [...this.#windows.keys()]) this.#close(key);
  }

  #close(key: string): void {
    const window = this.#windows.get(key);
    if (window === undefined) return;
    this.#windows.delete(key);
    clearTimeout(window.timer);
    if (window.more === 0) return;
    const verb = window.kind === 'refused' ? 'refused' : 'cut off';
    const titles = window.titles.size >= MAX_TITLES ? `over ${MAX_TITLES}` : String(window.titles.size);
    const text =
      `${window.more} more connection${window.more === 1 ? '' : 's'} ${verb} from ${window.sender} ` +
      `since ${window.since.toISOString()} (${window.words}), with ${titles} different calling AE titles.`;
    this.append({
      type: 'receiver.connections-summarised',
      actor: commandActor(),
      detail: {
        kind: window.kind,
        reason: window.reason,
        remoteAddress: window.sender,
        since: window.since.toISOString(),
        connections: window.more,
        differentCallingAeTitles: window.titles.size,
        text,
      },
    });
  }

  /** The sender's address as counted: an IPv6 sender by its /64, which one host may own whole. */
  #senderOf(remoteAddress: string): string {
    const sender = senderAddress(remoteAddress);
    if (this.#windows.size < MAX_SENDERS) return sender;
    for (const window of this.#windows.values()) if (window.sender === sender) return sender;
    return OTHER_SENDERS;
  }

  #now(): Date {
    return this.#options.clock?.() ?? new Date();
  }
}

export function senderAddress(remoteAddress: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddress);
  if (mapped) return mapped[1] as string;
  if (!remoteAddress.includes(':')) return remoteAddress;
  const [head = ''] = remoteAddress.split('%');
  const halves = head.split('::');
  const left = (halves[0] ?? '').split(':').filter(Boolean);
  const right = halves.length > 1 ? (halves[1] ?? '').split(':').filter(Boolean) : [];
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => group.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

function troubleWords(code: string): string {
  const full = code === 'SQLITE_FULL' || code === 'ENOSPC';
  return full
    ? "the audit log could not be written: the disk holding the site's database is full. Free space on it; " +
        'the receiver keeps running and tells senders when an instance cannot be stored'
    : `the audit log could not be written (${code}). Check the disk holding the site's database; ` +
        'the receiver keeps running';
}
