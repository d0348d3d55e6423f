// Serving the built renderer (dist/renderer): which file a URL path names, with what type, under which
// security headers. Shared by the web UI's HTTP server and the Electron app:// protocol.
import { existsSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where `npm run build:renderer` writes the renderer (repo root/dist/renderer): found by walking up
 * from this module, which runs from main/site/web-ui (sources) or from dist/cli (the bundled command).
 */
export function defaultRendererDir(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    const candidate = join(folder, 'dist', 'renderer');
    if (existsSync(join(candidate, 'index.html'))) return `${candidate}${sep}`;
    folder = dirname(folder);
  }
  return fileURLToPath(new URL('../../../dist/renderer/', import.meta.url));
}

/**
 * Strict CSP for the renderer, sent as a header: only our own scripts, styles and requests; no inline
 * script or style, no framing, no plugins, no form posts. Vite's build output needs nothing more.
 */
export const RENDERER_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** Headers for every response the renderer's origin sends. */
export const RENDERER_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': RENDERER_CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=()',
});

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

export function contentTypeFor(filePath: string): string {
  return CONTENT_TYPES[extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file under `rootDir` that a URL path names, or null when the path is malformed or would leave
 * the folder (`..`, encoded separators, NUL). `/` names index.html.
 */
export function resolveRendererFile(rootDir: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const wanted = decoded === '/' || decoded === '' ? '/index.html' : decoded;
  const fullPath = join(rootDir, normalize(wanted));
  const inside = relative(rootDir, fullPath);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return null;
  return fullPath;
}
