import { request } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRadfedApi, type SiteStatus } from '../../../shared/ipc/index.ts';
import { initSite, SiteAgent } from '../index.ts';
import type { SiteAgentPort } from '../console/index.ts';
import { startSiteWebUi, type SiteWebUi } from './index.ts';

let workDir: string;
let rendererDir: string;
const running: SiteWebUi[] = [];
const closers: (() => void)[] = [];

const fixedStatus: SiteStatus = {
  siteName: 'Fixed',
  directory: '/nowhere',
  consentPolicy: 'not-set',
  deidOptions: [],
  counts: { patients: 0, studies: 0, series: 0, instances: 0, held: 0, rejected: 0 },
  lastIngestAt: null,
};

beforeEach(() => {
  workDir = mkdtempSync(join(tmpdir(), 'radfed-web-ui-'));
  rendererDir = join(workDir, 'renderer');
  mkdirSync(join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>RadFed</title><div id="app"></div>');
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log("radfed");');
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((ui) => ui.close()));
  closers.splice(0).forEach((close) => close());
  rmSync(workDir, { recursive: true, force: true });
});

/** A GET with the path and Host exactly as given (fetch would normalise both). */
function rawGet(url: URL, path: string, host = url.host): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, headers: { Host: host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function start(agent: { status(): SiteStatus } = { status: () => fixedStatus }) {
  // A stub agent with status() only, unless a real one is given: the other channels are not called here.
  const ui = await startSiteWebUi({ agent: agent as SiteAgentPort, rendererDir });
  running.push(ui);
  const url = new URL(ui.url);
  const token = url.searchParams.get('token') ?? '';
  const invoke = (body: unknown, authToken: string | null = token) =>
    fetch(new URL('/api/invoke', url), {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...(authToken === null ? {} : { Authorization: `Bearer ${authToken}` }),
      },
      body: JSON.stringify(body),
    });
  return { ui, url, token, invoke };
}

describe('site web UI', () => {
  it('listens on loopback and puts a long random token in the URL', async () => {
    const first = await start();
    const second = await start();
    expect(first.url.hostname).toBe('127.0.0.1');
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.token).not.toBe(second.token);
  });

  it('serves the page only with the right token, and says why otherwise', async () => {
    const { url, token } = await start();
    const withToken = await fetch(url);
    expect(withToken.status).toBe(200);
    expect(await withToken.text()).toContain('<div id="app">');

    for (const wrong of [new URL('/', url), new URL(`/?token=${token.slice(1)}x`, url)]) {
      const denied = await fetch(wrong);
      expect(denied.status).toBe(401);
      expect(await denied.text()).toContain('Access token missing or wrong');
    }
  });

  it('rejects API calls without the token or with a wrong one', async () => {
    const { invoke, token } = await start();
    for (const authToken of [null, 'guess', `${token}x`]) {
      const response = await invoke({ channel: 'site:status' }, authToken);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    }
  });

  it('sends the strict CSP header on the page, assets, API answers and refusals', async () => {
    const { url, invoke } = await start();
    const responses = [
      await fetch(url),
      await fetch(new URL('/assets/app.js', url)),
      await invoke({ channel: 'site:status' }),
      await fetch(new URL('/', url)),
    ];
    for (const response of responses) {
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('answers an unknown channel with an error envelope', async () => {
    const { invoke } = await start();
    const response = await invoke({ channel: 'site:delete', payload: {} });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
  });

  it('answers a payload that fails its schema with a validation error envelope', async () => {
    const { invoke } = await start();
    const response = await invoke({ channel: 'site:status', payload: { all: true } });
    expect(await response.json()).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
  });

  it('answers a body that is not JSON with 400 and a validation error envelope', async () => {
    const { url, token } = await start();
    const response = await fetch(new URL('/api/invoke', url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: '{"channel": "site:status"',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
  });

  it('refuses requests whose Host is not the loopback address (DNS rebinding)', async () => {
    const { url } = await start();
    const answer = await rawGet(url, url.pathname + url.search, `evil.example:${url.port}`);
    expect(answer.status).toBe(403);
  });

  it('does not serve files outside the renderer folder', async () => {
    writeFileSync(join(workDir, 'site.db'), 'not for the browser');
    const { url } = await start();
    for (const path of [
      '/../site.db',
      '/assets/../../site.db',
      '/assets/..%2f..%2fsite.db',
      '/%2e%2e/site.db',
    ]) {
      const answer = await rawGet(url, path);
      expect(answer.status).toBe(404);
      expect(answer.body).not.toContain('not for the browser');
    }
  });

  it('round-trips site:status against a real site agent in a temp folder', async () => {
    const siteDir = join(workDir, 'site');
    initSite(siteDir, { name: 'Web UI Test Site', deidOptions: [] });
    const agent = SiteAgent.open(siteDir);
    closers.push(() => agent.close());
    const { ui, token } = await start(agent);

    const origin = new URL(ui.url).origin;
    const api = createRadfedApi(async (channel, payload) => {
      const response = await fetch(`${origin}/api/invoke`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ channel, payload }),
      });
      return response.json();
    });
    const status = await api.site.status();
    expect(status).toEqual(JSON.parse(JSON.stringify(agent.status())));
    expect(status.siteName).toBe('Web UI Test Site');
    expect(status.counts.instances).toBe(0);
  });
});
