// Small formatting helpers shared by the views: times in UTC with "how long ago", states in words.
import { html, type SafeHtml } from '../html.ts';

export function utc(iso: string | null): string {
  if (!iso) return '—';
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

export function ago(iso: string | null, now: number): string {
  if (!iso) return 'never';
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  if (seconds < 0) return `in ${span(-seconds)}`;
  if (seconds < 10) return 'just now';
  return `${span(seconds)} ago`;
}

function span(seconds: number): string {
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(hours / 24)} days`;
}

/** A time as a <time> element: UTC in the text, how long ago beside it. */
export function when(iso: string | null, now: number): SafeHtml {
  if (!iso) return html`<span class="state-muted">—</span>`;
  return html`<time datetime="${iso}">${utc(iso)}</time> <span class="ago">(${ago(iso, now)})</span>`;
}

const TONES: Record<string, string> = {
  online: 'ok',
  idle: 'ok',
  removed: 'muted',
  revoked: 'muted',
  published: 'ok',
  active: 'ok',
  completed: 'ok',
  unused: 'ok',
  open: 'warn',
  collecting: 'warn',
  aggregating: 'warn',
  offline: 'muted',
  used: 'muted',
  stopped: 'muted',
  expired: 'muted',
  failed: 'bad',
};

export function badge(state: string): SafeHtml {
  return html`<span class="state state-${TONES[state] ?? 'muted'}">${state}</span>`;
}

export function metric(value: number | null): string {
  return value === null ? '—' : value.toFixed(3);
}

export function bytes(count: number): string {
  if (count < 1024) return `${count} B`;
  if (count < 1024 * 1024) return `${(count / 1024).toFixed(1)} KiB`;
  return `${(count / 1024 / 1024).toFixed(1)} MiB`;
}
