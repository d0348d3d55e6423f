// One way to show dates on the records pages (Audit, Consent; others may adopt it): in the format of
// the computer's locale, with the exact ISO value in a tooltip. Times are instants (ISO with a zone)
// and show in local time; days (YYYY-MM-DD, e.g. a consent date) are calendar days and must not move
// with the time zone, so they are formatted in UTC.

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** "6 Dec 2026, 21:47" in en-GB, "Dec 6, 2026, 9:47 PM" in en-US; the input as it was if unreadable. */
export function localDateTime(iso: string, locale?: string): string {
  if (DAY.test(iso)) return localDay(iso, locale);
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(time);
}

/** A calendar day (YYYY-MM-DD) in the locale's format: "6 Dec 2026", "Dec 6, 2026". */
export function localDay(day: string, locale?: string): string {
  const match = DAY.exec(day);
  if (!match) return day;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  if (Number.isNaN(date.getTime())) return day;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(date);
}

/** The tooltip: the exact value in ISO 8601 (UTC for instants), as the audit CSV holds it. */
export function isoTooltip(value: string): string {
  if (DAY.test(value)) return value;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? value : time.toISOString();
}
