// The setup wizard's agent side against a real hub on a loopback port: a session on an empty folder,
// the connectivity check that spends nothing, setup with enrollment, and the errors in words.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SetupRequest } from '../../../shared/ipc/index.ts';
import { makeTestHub, type TestHub } from '../../../hub/testing/test-hub.ts';
import { AuditLog } from '../audit/index.ts';
import { openSite } from '../store/index.ts';
import { createIpcDispatcher, createIpcHandlers } from './ipc-handlers.ts';
import { SiteSession } from './site-session.ts';

let hub: TestHub;
let root: string;
beforeAll(async () => {
  hub = await makeTestHub();
  root = mkdtempSync(join(tmpdir(), 'radfed-session-'));
}, 60_000);
afterAll(async () => {
  await hub?.cleanup();
  rmSync(root, { recursive: true, force: true });
});

const request = (overrides: Partial<SetupRequest> = {}): SetupRequest => ({
  siteName: 'North Radiology',
  hub: null,
  studies: { kind: 'folder' },
  consentPolicy: 'opt-out',
  deidOptions: ['clean-descriptors'],
  ...overrides,
});

async function sessionIn(name: string) {
  const session = await SiteSession.open(join(root, name), {
    autoStartFederation: false,
    runStudySources: false,
  });
  const dispatch = createIpcDispatcher(
    createIpcHandlers(session.agentPort(), { setup: session, federation: session.federation }),
  );
  return { session, dispatch };
}

describe('SiteSession on an empty folder', () => {
  it('says the site is new, and agent channels answer site-not-set-up until the wizard ran', async () => {
    const { session, dispatch } = await sessionIn('fresh');
    try {
      await expect(dispatch('setup:state', undefined)).resolves.toMatchObject({
        ok: true,
        value: { stage: 'new', site: null, hub: null, preset: false },
      });
      await expect(dispatch('site:status', undefined)).resolves.toMatchObject({
        ok: false,
        error: { code: 'site-not-set-up' },
      });
      await expect(dispatch('consent:list', undefined)).resolves.toMatchObject({
        ok: false,
        error: { code: 'site-not-set-up' },
      });
      // After setup, the same handlers (made before the site existed) reach the new agent.
      await dispatch('setup:finish', request({ hub: null }));
      await expect(dispatch('site:status', undefined)).resolves.toMatchObject({
        ok: true,
        value: { siteName: 'North Radiology', consentPolicy: 'opt-out', deidOptions: ['clean-descriptors'] },
      });
      await expect(dispatch('consent:list', undefined)).resolves.toMatchObject({ ok: true });
      expect(session.state().stage).toBe('not-enrolled');
    } finally {
      await session.close();
    }
  });
});

describe('hub check and enrollment', () => {
  it('checks the hub without spending the token, then enrolls with the same token', async () => {
    const { session, dispatch } = await sessionIn('enrolled');
    try {
      const token = (await hub.hub.createToken()).token;
      const check = await dispatch('setup:check-hub', { token });
      expect(check).toMatchObject({ ok: true, value: { hubName: 'test hub', viaProxy: null } });
      expect((check as { value: { sentence: string } }).value.sentence).toMatch(
        /certificate and signing key match/,
      );

      const finished = await dispatch(
        'setup:finish',
        request({
          hub: { token },
          studies: { kind: 'receiver', aeTitle: 'RADFED', port: 11112, allowedCallingAeTitles: ['PACS'] },
        }),
      );
      expect(finished).toMatchObject({
        ok: true,
        value: { state: { stage: 'enrolled', hub: { name: 'test hub' } } },
      });
      const text = JSON.stringify(finished);
      expect(text).toContain('Enrolled with the hub');
      // The token is a secret: never sent back.
      expect(text).not.toContain(token);
      expect(session.state().site?.studies).toEqual({
        kind: 'receiver',
        aeTitle: 'RADFED',
        port: 11112,
        allowedCallingAeTitles: ['PACS'],
      });
      const site = openSite(session.directory);
      try {
        expect(new AuditLog(site.database).list({ type: 'federation.enrolled' })).toHaveLength(1);
      } finally {
        site.database.close();
      }
      await expect(dispatch('federation:tasks', undefined)).resolves.toEqual({ ok: true, value: [] });
    } finally {
      await session.close();
    }
  });

  it('explains a hub that does not answer, and a token that is not one, in words', async () => {
    const { session, dispatch } = await sessionIn('unreachable');
    try {
      const token = (await hub.hub.createToken()).token;
      const port = await closedPort();
      const silent = await dispatch('setup:check-hub', { token, url: `https://127.0.0.1:${port}` });
      expect(silent).toMatchObject({ ok: false, error: { code: 'hub-problem' } });
      expect(JSON.stringify(silent)).toMatch(/does not answer: check that it runs and the address/);

      const garbage = await dispatch('setup:check-hub', { token: 'hello' });
      expect(garbage).toMatchObject({ ok: false, error: { code: 'bad-token' } });

      // Setup keeps the site when enrollment fails, and says why.
      const failed = await dispatch(
        'setup:finish',
        request({ hub: { token, url: `https://127.0.0.1:${port}` } }),
      );
      expect(failed).toMatchObject({ ok: false, error: { code: 'hub-problem' } });
      expect(session.state().stage).toBe('not-enrolled');
    } finally {
      await session.close();
    }
  });

  it('refuses to change the de-identification options once studies were imported', async () => {
    const { session, dispatch } = await sessionIn('with-studies');
    try {
      await dispatch('setup:finish', request());
      await session.agent.ingest('/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm');
      const changed = await dispatch('setup:finish', request({ deidOptions: [] }));
      expect(changed).toMatchObject({ ok: false, error: { code: 'studies-already-imported' } });
      const same = await dispatch('setup:finish', request({ siteName: 'North Radiology 2' }));
      expect(same).toMatchObject({
        ok: true,
        value: { state: { site: { name: 'North Radiology 2', hasStudies: true } } },
      });
    } finally {
      await session.close();
    }
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
