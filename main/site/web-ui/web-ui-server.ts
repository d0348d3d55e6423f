// The local web UI for headless sites (`radfed site ui`): the same renderer as the desktop app, served
// on loopback only, and the same IPC handlers behind POST /api/invoke. A random access token in the
// URL (as Jupyter does) keeps other local users and web pages out: the page reads it from its address
// and sends it as a bearer token with every call.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ipcFail, type IpcResult } from '../../../shared/ipc/index.ts';
import {
  createIpcDispatcher,
  createIpcHandlers,
  type FederationPort,
  type IpcLogger,
  type SettingsPort,
  type SetupPort,
  type SiteAgentPort,
} from '../console/index.ts';
import {
  ACCESS_TOKEN_PAGE,
  NOT_FOUND_PAGE,
  RENDERER_NOT_BUILT_PAGE,
  WRONG_HOST_PAGE,
} from './plain-pages.ts';
import {
  contentTypeFor,
  defaultRendererDir,
  RENDERER_SECURITY_HEADERS,
  resolveRendererFile,
} from './renderer-files.ts';
import { RadfedError } from '../../../shared/errors.ts';
import { JsonTextError, parseJsonText } from '../../../shared/json-text.ts';
import { closeSilentConnections } from '../../../shared/node/index.ts';

export const API_INVOKE_PATH = '/api/invoke';
const MAX_REQUEST_BYTES = 1024 * 1024;

export interface SiteWebUiOptions {
  agent: SiteAgentPort;
  /** 0 (default): any free port. */
  port?: number;
  /** Loopback only: the UI is never offered to the network. */
  host?: '127.0.0.1' | '::1';
  /** The built renderer; default dist/renderer. */
  rendererDir?: string;
  logger?: IpcLogger;
  /** The app's settings (main/app/settings, user file D/ui-settings.json); without it settings:get refuses. */
  settings?: SettingsPort;
  /** The setup wizard's service (a SiteSession); without it setup:* refuses. */
  setup?: SetupPort;
  /** The federation service (SiteSession.federation); without it federation:* refuses. */
  federation?: FederationPort;
  /** How long a connection may take to send its first request head (default 20 s; tests shorten it). */
  firstRequestMs?: number;
}

export interface SiteWebUi {
  /** Address to open, with the access token in its query. */
  readonly url: string;
  close(): Promise<void>;
}

export class SiteWebUiError extends RadfedError<'not-loopback' | 'port-unavailable'> {
  override readonly name = 'SiteWebUiError';
}

export async function startSiteWebUi(options: SiteWebUiOptions): Promise<SiteWebUi> {
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1' && host !== '::1') {
    throw new SiteWebUiError('not-loopback', `The site UI listens on loopback only, not on ${String(host)}.`);
  }
  const rendererDir = options.rendererDir ?? defaultRendererDir();
  const token = randomBytes(32).toString('base64url');
  const tokenDigest = digest(token);
  const dispatch = createIpcDispatcher(
    createIpcHandlers(options.agent, {
      settings: options.settings,
      setup: options.setup,
      federation: options.federation,
    }),
    { logger: options.logger },
  );
  let allowedHosts: Set<string> = new Set();

  const server = createServer((request, response) => {
    void route(request, response).catch((error: unknown) => {
      options.logger?.error({ err: error }, 'site UI request failed');
      if (!response.headersSent) sendText(response, 500, 'text/plain; charset=utf-8', 'Internal error.');
      else response.destroy();
    });
  });

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // A page on another site that rebinds its DNS name to 127.0.0.1 arrives with its own Host.
    if (!allowedHosts.has(request.headers.host ?? '')) {
      sendText(response, 403, 'text/html; charset=utf-8', WRONG_HOST_PAGE);
      return;
    }
    const url = new URL(request.url ?? '/', 'http://loopback');
    if (url.pathname === API_INVOKE_PATH) {
      await answerInvoke(request, response);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      sendText(response, 405, 'text/plain; charset=utf-8', 'Method not allowed.');
      return;
    }
    const isPage = url.pathname === '/' || url.pathname === '/index.html';
    if (isPage && !tokenMatches(url.searchParams.get('token'))) {
      sendText(response, 401, 'text/html; charset=utf-8', ACCESS_TOKEN_PAGE);
      return;
    }
    await sendRendererFile(request, response, url.pathname, isPage);
  }

  async function answerInvoke(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'POST') {
      response.setHeader('Allow', 'POST');
      sendJson(response, 405, ipcFail('method-not-allowed', 'Calls to the site agent are POST requests.'));
      return;
    }
    const bearer = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1] ?? null;
    if (!tokenMatches(bearer)) {
      sendJson(
        response,
        401,
        ipcFail(
          'unauthorized',
          'The access token is missing or wrong. Open the address that `radfed site ui` printed, with its token.',
        ),
      );
      return;
    }
    if (!(request.headers['content-type'] ?? '').startsWith('application/json')) {
      sendJson(response, 415, ipcFail('invalid-payload', 'Calls to the site agent are sent as JSON.'));
      return;
    }
    const body = await readBody(request);
    if (body === null) {
      sendJson(response, 413, ipcFail('invalid-payload', 'The request is too large.'));
      return;
    }
    let parsed: unknown;
    try {
      parsed = parseJsonText(body, { what: 'The request', todo: 'Reload the page.' });
    } catch (error) {
      // Where it goes wrong, never what is there (shared/json-text.ts): a request carries form fields.
      if (!(error instanceof JsonTextError)) throw error;
      sendJson(response, 400, ipcFail('invalid-payload', error.message));
      return;
    }
    const { channel, payload } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as {
      channel?: unknown;
      payload?: unknown;
    };
    sendJson(response, 200, await dispatch(channel, payload));
  }

  async function sendRendererFile(
    request: IncomingMessage,
    response: ServerResponse,
    pathname: string,
    isPage: boolean,
  ): Promise<void> {
    const filePath = resolveRendererFile(rendererDir, pathname);
    const info = filePath ? await stat(filePath).catch(() => null) : null;
    if (!filePath || !info?.isFile()) {
      if (isPage) sendText(response, 503, 'text/html; charset=utf-8', RENDERER_NOT_BUILT_PAGE);
      else sendText(response, 404, 'text/html; charset=utf-8', NOT_FOUND_PAGE);
      return;
    }
    const bytes = await readFile(filePath);
    applySecurityHeaders(response);
    // The page carries the token in its address: never cache it. Built assets are content-hashed.
    response.setHeader('Cache-Control', isPage ? 'no-store' : 'private, max-age=3600');
    response.writeHead(200, { 'Content-Type': contentTypeFor(filePath), 'Content-Length': bytes.length });
    response.end(request.method === 'HEAD' ? undefined : bytes);
  }

  function tokenMatches(candidate: string | null): boolean {
    return candidate !== null && timingSafeEqual(digest(candidate), tokenDigest);
  }

  // Another local user could otherwise hold connections that never send a request, until the agent
  // ran out of file descriptors (shared/node/silent-connections.ts).
  closeSilentConnections(server, options.firstRequestMs);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new SiteWebUiError(
          'port-unavailable',
          `The site UI could not listen on ${host}:${options.port ?? 0} (${error.code ?? 'error'}). Choose another port with --port.`,
        ),
      ),
    );
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const hostInUrl = host === '::1' ? '[::1]' : host;
  allowedHosts = new Set([`${hostInUrl}:${port}`, `localhost:${port}`]);

  return {
    url: `http://${hostInUrl}:${port}/?token=${token}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function applySecurityHeaders(response: ServerResponse): void {
  for (const [name, value] of Object.entries(RENDERER_SECURITY_HEADERS)) response.setHeader(name, value);
}

function sendText(response: ServerResponse, status: number, contentType: string, text: string): void {
  applySecurityHeaders(response);
  response.setHeader('Cache-Control', 'no-store');
  response.writeHead(status, { 'Content-Type': contentType });
  response.end(text);
}

function sendJson(response: ServerResponse, status: number, result: IpcResult<unknown>): void {
  sendText(response, status, 'application/json', JSON.stringify(result));
}

/** The body as text, or null when it is larger than the limit. */
async function readBody(request: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Keep draining so the client gets the 413 instead of a reset connection; store nothing more.
    if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
  }
  return size > MAX_REQUEST_BYTES ? null : Buffer.concat(chunks).toString('utf8');
}
