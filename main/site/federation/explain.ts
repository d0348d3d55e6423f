// Connectivity and refusals in words an operator can act on. shared/federation already words socket
// and TLS failures; this adds what only the site knows: which hub it meant (so "nothing listens"
// becomes "the hub at URL does not answer"), whether a proxy was in the way, and its own clock.
import { FederationError, HubRequestError } from '../../../shared/federation/index.ts';
import { SyncError } from './sync-error.ts';

const CLOCK_NOTE_MS = 2 * 60 * 1000;

/** Any error from talking to the hub, as a SyncError (or the FederationError it was) with a sentence. */
export function explainHubError(error: unknown, hubUrl: string, now: () => number = Date.now): Error {
  if (error instanceof SyncError) return error;
  if (error instanceof HubRequestError) {
    const skew = error.hubTime === null ? 0 : now() - error.hubTime;
    if (error.hubCode !== 'clock-skew' && error.status === 401 && Math.abs(skew) > CLOCK_NOTE_MS) {
      return new SyncError(
        'hub-problem',
        `${error.message} (Note: this computer's clock differs from the hub's by ${Math.round(Math.abs(skew) / 60_000)} min; set it right.)`,
        { cause: error },
      );
    }
    return error;
  }
  if (error instanceof FederationError && error.code === 'hub-unreachable') {
    const code = (error.cause as { code?: string } | undefined)?.code ?? '';
    if (code === 'ECONNREFUSED') {
      return new SyncError(
        'hub-problem',
        `The hub at ${hubUrl} does not answer: check that it runs and the address (nothing listens on that port).`,
        { cause: error },
      );
    }
    if (code === 'ECONNRESET' || code === 'EPIPE') {
      return new SyncError(
        'hub-problem',
        `The hub at ${hubUrl} cut the connection (${code}); it will be tried again.`,
        {
          cause: error,
        },
      );
    }
    return new SyncError('hub-problem', error.message, { cause: error });
  }
  if (error instanceof FederationError) return error;
  if (error instanceof Error && (error as { code?: string }).code === 'EPROXY') {
    return new SyncError('hub-problem', error.message.charAt(0).toUpperCase() + error.message.slice(1), {
      cause: error,
    });
  }
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Whether the hub and this site run releases that cannot work together (the hub's 426, or a hub older
 * than this site can use): nothing changes until one of them is upgraded, so it is said once and
 * tried again only rarely, never in the quick retries of a transient failure.
 */
export function isProtocolMismatch(error: unknown): boolean {
  const cause = error instanceof SyncError ? error.cause : error;
  if (cause instanceof HubRequestError) return cause.status === 426;
  return cause instanceof FederationError && cause.code === 'protocol-mismatch';
}

/** Whether trying again later may help (the network, a restarting hub, an overloaded hub). */
export function isTransient(error: unknown): boolean {
  if (error instanceof HubRequestError)
    return error.status >= 500 || error.status === 429 || error.status === 408;
  const federation = error instanceof SyncError ? error.cause : error;
  if (federation instanceof FederationError && federation.code === 'hub-unreachable') {
    const code = (federation.cause as { code?: string } | undefined)?.code ?? '';
    // A certificate for other names or an intercepting proxy does not fix itself; the rest may.
    return !code.startsWith('ERR_TLS') && !code.includes('CERT');
  }
  if (error instanceof Error && (error as { code?: string }).code === 'EPROXY') return true;
  return false;
}
