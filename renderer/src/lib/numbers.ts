// Numbers as a radiographer reads them: a loss of 1e13 is "10 trillion", not "1.0e+13" (scientific
// notation is jargon on these screens; see lib/jargon.ts).

/** A number in words-and-digits: "10 trillion", "2.5 million", "1,234", "0.25", "0.0012". */
export function plainNumber(value: number, locale = 'en'): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'not a number' : 'infinite';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6)
    return new Intl.NumberFormat(locale, {
      notation: 'compact',
      compactDisplay: 'long',
      maximumSignificantDigits: 2,
    }).format(value);
  if (magnitude >= 1000) return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(value);
  if (magnitude === 0 || magnitude >= 0.001)
    return new Intl.NumberFormat(locale, { maximumSignificantDigits: 3 }).format(value);
  return new Intl.NumberFormat(locale, { maximumSignificantDigits: 2, maximumFractionDigits: 20 }).format(
    value,
  );
}

/** A short tick label for a chart axis: "10T", "1K", "0.01". */
export function tickNumber(value: number, locale = 'en'): string {
  if (!Number.isFinite(value)) return '';
  return Math.abs(value) >= 1000
    ? new Intl.NumberFormat(locale, { notation: 'compact', maximumSignificantDigits: 2 }).format(value)
    : new Intl.NumberFormat(locale, { maximumSignificantDigits: 3, maximumFractionDigits: 20 }).format(value);
}
