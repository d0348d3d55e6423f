// How the demo's lines and tables say a number of bytes. One home, so that a head-only update of a few
// kilobytes is not printed as "0.00 MB" (and its share of the model as "0 %").

/** Megabytes with two decimals from 0.1 MB up; kilobytes with one decimal below. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  if (bytes >= 100_000) return `${(bytes / 1e6).toFixed(2)} MB`;
  return `${(bytes / 1e3).toFixed(1)} kB`;
}

/** A share in per cent: whole numbers from 1 % up, two decimals below. */
export function formatPercent(part: number, whole: number): string {
  if (!(whole > 0) || !Number.isFinite(part)) return '?';
  const percent = (part / whole) * 100;
  return `${percent >= 1 ? percent.toFixed(0) : percent.toFixed(2)} %`;
}
