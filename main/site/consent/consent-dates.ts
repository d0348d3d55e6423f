// The days consent dates are checked against. A decision cannot be dated after today; "today" is
// taken generously (the date in the furthest time zone, UTC+14) so an export made this morning in
// any hospital is never refused as dated in the future.

const DAY_MS = 24 * 60 * 60 * 1000;

/** Today's date on this machine (YYYY-MM-DD): the default date of an entry made here. */
export function localDate(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** The latest date a consent decision may carry. */
export function latestConsentDate(now: Date): string {
  return new Date(now.getTime() + (14 / 24) * DAY_MS).toISOString().slice(0, 10);
}
