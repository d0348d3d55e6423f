// One HTTPS exchange with the hub, trusting only the hub's own CA (pinned at enrollment), with
// connection failures turned into sentences a site operator can act on. The caller may pass an
// https.Agent (for example one that tunnels through an HTTPS proxy). Every request says the protocol
// version this site speaks, and an answer from a hub older than this site can use is refused in words
// (shared/federation/protocol-version.ts).
import { type Agent, request } from 'node:https';
import {
  FederationError,
  HubRequestError,
  PROTOCOL_HEADER,
  PROTOCOL_VERSION,
  errorBodySchema,
  hubProtocolProblem,
  readProtocolHeader,
} from '../../federation/index.ts';

export interface HubHttpOptions {
  readonly baseUrl: string;
  /** The hub's CA certificate (PEM): the only issuer trusted for the hub's TLS certificate. */
  readonly caPem: string;
  readonly agent?: Agent;
  readonly timeoutMs?: number;
}

export interface HubHttpResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

export function hubHttp(
  options: HubHttpOptions,
  method: string,
  path: string,
  body?: Uint8Array,
  headers: Record<string, string> = {},
): Promise<HubHttpResponse> {
  const url = new URL(path, options.baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: options.caPem,
        ...(options.agent ? { agent: options.agent } : {}),
        headers: {
          [PROTOCOL_HEADER]: String(PROTOCOL_VERSION),
          ...headers,
          ...(body ? { 'content-length': String(body.byteLength) } : {}),
        },
        // Longer than the longest long-poll (60 s) the hub holds a request for.
        timeout: options.timeoutMs ?? 90_000,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('error', (error) => reject(describeConnectionError(error, url)));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }),
        );
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (error) => reject(describeConnectionError(error, url)));
    req.end(body ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : undefined);
  });
}

/**
 * Throws a HubRequestError carrying the hub's own sentence when the status is not 2xx, and a
 * FederationError ('protocol-mismatch') when a hub that answered is older than this site can use: a
 * hub from before versions were checked serves every site, so the site is the one to stop. Only
 * answers the hub gave count (a 2xx): a proxy's or balancer's error page says no version either.
 */
export function assertOk(response: HubHttpResponse): HubHttpResponse {
  if (response.status >= 200 && response.status < 300) {
    const problem = hubProtocolProblem(readProtocolHeader(response.headers[PROTOCOL_HEADER]));
    if (problem) throw new FederationError('protocol-mismatch', problem);
    return response;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.body.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const error = errorBodySchema.safeParse(parsed);
  if (error.success) {
    throw new HubRequestError(response.status, error.data.error, error.data.message, error.data.hubTime);
  }
  throw new HubRequestError(response.status, 'http-error', `The hub answered HTTP ${response.status}.`, null);
}

/** Turns a socket or TLS failure into a FederationError whose message says what to check. */
export function describeConnectionError(error: Error & { code?: string }, url: URL): FederationError {
  const where = `${url.hostname}:${url.port || 443}`;
  const code = error.code ?? '';
  const say = (message: string) => new FederationError('hub-unreachable', message, { cause: error });
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const altNames = (error as { cert?: { subjectaltname?: string } }).cert?.subjectaltname ?? '';
    const names = altNames.replace(/DNS:|IP Address:/g, '').trim() || 'other names';
    return say(
      `The hub's certificate is for ${names}, but you connected to ${url.hostname}. ` +
        'Use one of those names, or ask the coordinator to re-create the hub certificate with this name (radfed hub init --host).',
    );
  }
  if (code.startsWith('ERR_TLS') || code.includes('CERT') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT') {
    return say(
      `The server at ${where} did not present a certificate from this federation's hub (${code}). ` +
        'Something between you and the hub (a proxy that inspects HTTPS?) may be replacing it; ask IT to let this connection through untouched.',
    );
  }
  if (code === 'ECONNREFUSED')
    return say(`Nothing is listening at ${where}: check that the hub is running and the port is right.`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return say(
      `The name ${url.hostname} could not be resolved: check the hub address, or the network's DNS and proxy settings.`,
    );
  }
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return say(
      `No route to the hub at ${where} (${code}): check the network, the firewall and the proxy (HTTPS_PROXY).`,
    );
  }
  if (code === 'ECONNRESET' || code === 'EPIPE')
    return say(`The connection to the hub at ${where} was cut (${code}); it will be tried again.`);
  return say(`Could not talk to the hub at ${where}: ${error.message}`);
}
