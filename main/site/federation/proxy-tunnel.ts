// Reaching the hub through an HTTPS proxy, as hospital networks require: HTTPS_PROXY (or https_proxy)
// names the proxy; NO_PROXY lists hosts to reach directly. The proxy is asked for a tunnel (HTTP
// CONNECT, RFC 9110 9.3.6) and TLS to the hub runs inside it, end to end: the proxy sees neither the
// requests nor the pinned certificate check, which still applies. A proxy that inspects HTTPS breaks
// the pin on purpose; the error then says to exempt the hub.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import {
  Agent as HttpsAgent,
  request as httpsRequest,
  type AgentOptions,
  type RequestOptions,
} from 'node:https';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';

export interface ProxySettings {
  /** http://[user:password@]host:port or https://... */
  readonly url: URL;
}

/** The proxy to use for `hubUrl`, from the environment; null to connect directly. */
export function proxyFor(hubUrl: string, env: NodeJS.ProcessEnv = process.env): ProxySettings | null {
  const raw = env.HTTPS_PROXY ?? env.https_proxy ?? '';
  if (raw.trim() === '') return null;
  const host = new URL(hubUrl).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '')
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '');
  for (const entry of noProxy) {
    if (entry === '*') return null;
    const name = entry.replace(/:\d+$/, '').replace(/^\*?\./, '');
    if (host === name || host.endsWith(`.${name}`)) return null;
  }
  let url: URL;
  try {
    url = new URL(raw.includes('://') ? raw : `http://${raw}`);
  } catch {
    throw Object.assign(
      new Error(`HTTPS_PROXY is not a URL ("${raw}"); set it like http://proxy.example.org:3128.`),
      {
        code: 'EPROXY',
      },
    );
  }
  return { url };
}

/** Opens a tunnel through the proxy to host:port; the socket carries the hub's TLS from then on. */
export function openTunnel(
  proxy: ProxySettings,
  host: string,
  port: number,
  timeoutMs = 30_000,
): Promise<Socket> {
  const { url } = proxy;
  const target = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const headers: Record<string, string> = { host: target };
  if (url.username) {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers['proxy-authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const where = `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
  return new Promise((resolve, reject) => {
    const fail = (why: string, cause?: Error & { code?: string }) =>
      reject(
        Object.assign(
          new Error(
            `no route to the hub through the proxy at ${where}: ${why}. Check the proxy settings (HTTPS_PROXY, NO_PROXY) with IT.`,
            { cause },
          ),
          { code: 'EPROXY' },
        ),
      );
    const req = send({
      host: url.hostname,
      port: url.port || (url.protocol === 'https:' ? 443 : 80),
      method: 'CONNECT',
      path: target,
      headers,
      timeout: timeoutMs,
    });
    req.once('connect', (response: IncomingMessage, socket: Socket) => {
      if (response.statusCode === 200) return resolve(socket);
      socket.destroy();
      fail(
        response.statusCode === 407
          ? 'the proxy wants credentials (HTTP 407); put them in HTTPS_PROXY as http://user:password@host:port'
          : `the proxy refused the tunnel (HTTP ${response.statusCode})`,
      );
    });
    req.once('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.once('error', (error: Error & { code?: string }) =>
      fail(error.code === 'ECONNREFUSED' ? 'nothing listens there' : (error.code ?? error.message), error),
    );
    req.end();
  });
}

/**
 * An https.Agent whose connections go through the proxy's tunnel. Node's Agent accepts a connection
 * handed over later through the callback of createConnection, which is what this does.
 */
export class ProxyTunnelAgent extends HttpsAgent {
  constructor(
    private readonly proxy: ProxySettings,
    options: AgentOptions = {},
  ) {
    super({ keepAlive: true, ...options });
  }

  override createConnection(
    options: RequestOptions,
    callback?: (error: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const done = callback ?? (() => undefined);
    const host = options.hostname ?? options.host ?? 'localhost';
    const port = Number(options.port ?? 443);
    openTunnel(this.proxy, host, port).then(
      (raw) => {
        const secure = tlsConnect({ ...(options as ConnectionOptions), socket: raw });
        const onError = (error: Error) => done(error, secure);
        secure.once('error', onError);
        secure.once('secureConnect', () => {
          secure.off('error', onError);
          done(null, secure);
        });
      },
      (error: Error) => done(error, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

/** The agent for talking to `hubUrl`: a tunnelling one when a proxy applies, else undefined. */
export function hubAgent(hubUrl: string, env: NodeJS.ProcessEnv = process.env): HttpsAgent | undefined {
  const proxy = proxyFor(hubUrl, env);
  return proxy ? new ProxyTunnelAgent(proxy) : undefined;
}
