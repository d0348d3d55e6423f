// Who the audit log names, by entry point, on real sites in temp folders: the desktop app (the
// operator's name from setup and the signed-in OS user), `radfed site ui` (the operator's name), and
// a site made before the name was asked for (the OS user). Never a role such as "operator".
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SetupRequest } from '../../../shared/ipc/index.ts';
import { AuditLog, osUserName } from '../audit/index.ts';
import { initSite, openSite } from '../store/index.ts';
import { createIpcDispatcher, createIpcHandlers } from './ipc-handlers.ts';
import { SiteSession } from './site-session.ts';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'radfed-actor-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const request = (operatorName?: string): SetupRequest => ({
  siteName: 'St Actor Radiology',
  hub: null,
  studies: { kind: 'folder' },
  consentPolicy: 'opt-out',
  deidOptions: [],
  ...(operatorName ? { operatorName } : {}),
});

/** Sets a site up through the wizard's channel, then acts from the screens: consent, export. */
async function actorsOfSession(folder: string, origin: 'desktop' | 'site-ui', operatorName?: string) {
  const session = await SiteSession.open(join(root, folder), {
    origin,
    autoStartFederation: false,
    runStudySources: false,
  });
  try {
    const dispatch = createIpcDispatcher(
      createIpcHandlers(session.agentPort(), { setup: session, federation: session.federation }),
    );
    expect(await dispatch('setup:finish', request(operatorName))).toMatchObject({ ok: true });
    await session.agent.consent.set({ patientId: 'ACTOR-TEST-1', status: 'refused', date: '2026-01-05' });
    expect(await dispatch('audit:export-csv', undefined)).toMatchObject({ ok: true });
    const site = openSite(session.directory);
    try {
      const entries = new AuditLog(site.database).list();
      return {
        byType: new Map(entries.map((e) => [e.type, e.actor])),
        all: entries.map((e) => e.actor),
        config: JSON.parse(readFileSync(join(session.directory, 'site.json'), 'utf8')) as {
          operatorName?: string;
        },
      };
    } finally {
      site.database.close();
    }
  } finally {
    await session.close();
  }
}

describe('the actor of audit entries', () => {
  const me = osUserName();

  it('in the desktop app: the operator named at setup and the signed-in OS user', async () => {
    const { byType, all, config } = await actorsOfSession('desktop', 'desktop', 'Jane Doe');
    expect(config.operatorName).toBe('Jane Doe');
    const expected = `Jane Doe (${me})`;
    for (const type of ['site.created', 'site.settings-changed', 'consent.set', 'audit.exported'])
      expect(byType.get(type), type).toBe(expected);
    expect(all.every((actor) => actor === expected)).toBe(true);
  });

  it('in `radfed site ui`: the operator named at setup', async () => {
    const { byType, all } = await actorsOfSession('site-ui', 'site-ui', 'Sam Okafor');
    for (const type of ['site.created', 'consent.set', 'audit.exported'])
      expect(byType.get(type), type).toBe('Sam Okafor');
    expect(all.every((actor) => actor === 'Sam Okafor')).toBe(true);
  });

  it('with no name given: the OS user, never "operator"', async () => {
    const { all } = await actorsOfSession('unnamed', 'site-ui');
    expect(all.length).toBeGreaterThan(2);
    expect(all.every((actor) => actor === me)).toBe(true);
  });

  it('for a site made before the name was asked for, the session names the OS user', async () => {
    const dir = join(root, 'older');
    initSite(dir, { name: 'Older Site', deidOptions: [], consentPolicy: 'opt-out', actor: 'legacy' });
    const session = await SiteSession.open(dir, {
      origin: 'desktop',
      autoStartFederation: false,
      runStudySources: false,
    });
    try {
      expect(session.actor()).toBe(me);
      expect(session.agent.actor).toBe(me);
    } finally {
      await session.close();
    }
  });
});
