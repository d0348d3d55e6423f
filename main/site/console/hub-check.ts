// "Check the connection" of the setup wizard and of Settings' "Connect to a hub": reaches the hub as
// enrollment would (its CA certificate and signing key must match the token's fingerprints), then asks
// the hub whether it would accept the token now, for this site's name, without using it. So an expired,
// used or unknown token is red before the site is made, and the check can be run as often as needed.
import type { HubCheckRequest, HubCheckResult } from '../../../shared/ipc/index.ts';
import {
  assertOk,
  fetchPinnedHubCa,
  hubHttp,
  parseBody,
  parseEnrollmentToken,
  publicKeyFingerprint,
} from '../../../shared/node/federation/index.ts';
import {
  enrollCheckResponseSchema,
  FederationError,
  hubInfoSchema,
  hubPaths,
} from '../../../shared/federation/index.ts';
import { checkHubAddress } from '../../../shared/hub-address.ts';
import { checkSiteName } from '../../../shared/site-name.ts';
import { explainHubError, proxyFor, SyncError } from '../federation/index.ts';

export async function checkHubConnection(
  request: HubCheckRequest,
  env: NodeJS.ProcessEnv = process.env,
): Promise<HubCheckResult> {
  const token = parseEnrollmentToken(request.token);
  const hubUrl = normaliseHubUrl(request.url ?? token.hubUrl);
  const proxy = proxyFor(hubUrl, env);
  if (proxy) {
    // Pinning through a proxy's tunnel is done by enrollment itself; here only the token's form is checked.
    return {
      hubUrl,
      hubName: 'the hub in the token',
      viaProxy: proxy.url.host,
      expiresAt: null,
      sentence:
        `The token is well formed. RadFed reaches ${hubUrl} through the proxy ${proxy.url.host}; the connection, the ` +
        'hub\u2019s certificate and the token itself are checked when you connect.',
    };
  }
  const name = request.siteName === undefined ? null : checkSiteName(request.siteName);
  try {
    const caPem = await fetchPinnedHubCa(hubUrl, token.caFingerprint);
    const http = { baseUrl: hubUrl, caPem, timeoutMs: 15_000 };
    const info = parseBody(hubInfoSchema, assertOk(await hubHttp(http, 'GET', hubPaths.info)).body);
    if (publicKeyFingerprint(info.signingPublicKey) !== token.signingKeyFingerprint) {
      throw new FederationError(
        'pin-mismatch',
        "The hub's signing key does not match the fingerprint in your token; do not enroll, and check with the coordinator.",
      );
    }
    const body = Buffer.from(
      JSON.stringify({ tokenSecret: token.secret, ...(name?.ok ? { siteName: name.name } : {}) }),
    );
    const answer = await hubHttp(http, 'POST', hubPaths.enrollCheck, body, {
      'content-type': 'application/json',
    });
    if (answer.status === 404) {
      // A hub from before the check existed: the pins are right; the token is tried when connecting.
      return {
        hubUrl,
        hubName: info.name,
        viaProxy: null,
        expiresAt: null,
        sentence: `Reached the hub "${info.name}" at ${hubUrl}; its certificate and signing key match your token. This hub cannot check the token in advance: it is checked when you connect.`,
      };
    }
    const valid = parseBody(enrollCheckResponseSchema, assertOk(answer).body);
    return {
      hubUrl,
      hubName: info.name,
      viaProxy: null,
      expiresAt: valid.expiresAt,
      sentence:
        `Reached the hub "${info.name}" at ${hubUrl}; its certificate and signing key match your token, ` +
        `and the token is unused and valid until ${valid.expiresAt.slice(0, 16).replace('T', ' ')} UTC.`,
    };
  } catch (error) {
    // The hub's own sentence for a refused token (expired, used, unknown, for another site) is kept.
    throw explainHubError(error, hubUrl);
  }
}

/** The hub's origin from an address a person typed; https:// only (shared/hub-address.ts). */
export function normaliseHubUrl(text: string): string {
  const checked = checkHubAddress(text);
  if (!checked.ok) throw new SyncError('hub-problem', checked.problem);
  return checked.origin;
}
