// A failed call as a sentence for the person at the screen. RadfedApiError messages are written for
// people; anything else (a bug in this screen) gets a general sentence.
export function problemText(
  error: unknown,
  fallback = 'Something went wrong. Try again; if it keeps failing, restart RadFed.',
): string {
  return error instanceof Error && 'code' in error ? error.message : fallback;
}
