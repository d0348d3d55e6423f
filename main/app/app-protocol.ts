// The renderer is served from app://radfed/ rather than file://, so it has a real origin, a strict CSP
// sent as a header, and no way to read other local files (Electron security checklist, items 18 and 7).
import { readFile } from 'node:fs/promises';
import { protocol } from 'electron';
import { contentTypeFor, RENDERER_SECURITY_HEADERS, resolveRendererFile } from '../site/web-ui/index.ts';

export const APP_SCHEME = 'app';
export const APP_HOST = 'radfed';
export const APP_START_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** Must run before `app` is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

export function serveRendererOverAppProtocol(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const filePath = url.host === APP_HOST ? resolveRendererFile(rendererDir, url.pathname) : null;
    if (!filePath) return notFound();
    try {
      const body = await readFile(filePath);
      return new Response(body, {
        headers: { ...RENDERER_SECURITY_HEADERS, 'Content-Type': contentTypeFor(filePath) },
      });
    } catch {
      return notFound();
    }
  });
}

/** True when an IPC message comes from the top frame of our own page, not from any other content. */
export function isAppPageUrl(frameUrl: string | undefined): boolean {
  if (!frameUrl) return false;
  try {
    const url = new URL(frameUrl);
    return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST;
  } catch {
    return false;
  }
}

function notFound(): Response {
  return new Response('Not found', { status: 404, headers: { ...RENDERER_SECURITY_HEADERS } });
}
