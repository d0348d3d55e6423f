// The local web UI's stand-in for the Electron preload: the same frozen API object, built by the same
// shared function, over POST /api/invoke with the page's access token. Like the preload, it is the
// one renderer file that runs shared code rather than only using its types.
import { createRadfedApi, RadfedApiError, type RadfedApi } from '../../shared/ipc/index.ts';

export const API_INVOKE_PATH = '/api/invoke';

/** The access token from the page address (`?token=…`), or null. */
export function readAccessToken(location: Pick<Location, 'search'>): string | null {
  const token = new URLSearchParams(location.search).get('token');
  return token && token.length > 0 ? token : null;
}

export function createWebBridge(origin: string, token: string, fetchImpl: typeof fetch = fetch): RadfedApi {
  const endpoint = new URL(API_INVOKE_PATH, origin).toString();
  return createRadfedApi(async (channel, payload) => {
    let response: Response;
    try {
      response = await fetchImpl(endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ channel, payload }),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      throw new RadfedApiError(
        'unreachable',
        'The RadFed site agent is not answering. Check that `radfed site ui` is still running, then reload this page.',
      );
    }
    try {
      // Error answers (401, 400…) carry an envelope too; the shared code turns it into a RadfedApiError.
      return (await response.json()) as unknown;
    } catch {
      throw new RadfedApiError(
        'bad-response',
        `The site agent answered with something other than RadFed data (HTTP ${response.status}). Reload the page.`,
      );
    }
  });
}
