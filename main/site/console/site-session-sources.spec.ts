// The UI session runs what the setup wizard configured, as `radfed site run` does: a real storescu push
// to the session's DICOM receiver, then the wizard switching to a watched folder, where a dropped file
// is ingested; `site:sources` reports both, and the session stops them on close. Also: the federation
// loop's events reach `onEvent` after the progress tracker has them (the desktop tray listens).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SetupRequest, StudySourcesView } from '../../../shared/ipc/index.ts';
import { makeTestHub, type TestHub } from '../../../hub/testing/test-hub.ts';
import { fixtureTask } from '../federation/testing/federation-fixture.ts';
import { createTask } from '../../../hub/index.ts';
import { TaskStore } from '../cohort/index.ts';
import type { SyncEvent } from '../federation/index.ts';
import { freePort, storescu, TEST_FILES, writeVariants } from '../receiver/test-peers.ts';
import { createIpcDispatcher, createIpcHandlers } from './ipc-handlers.ts';
import { SiteSession } from './site-session.ts';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'radfed-session-sources-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const request = (studies: SetupRequest['studies'], hub: SetupRequest['hub'] = null): SetupRequest => ({
  siteName: 'Sources Site',
  hub,
  studies,
  consentPolicy: 'opt-out',
  deidOptions: [],
});

async function until<T>(read: () => Promise<T> | T, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 45_000; // a bound against hanging, not a speed requirement
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`never saw ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('SiteSession study sources', () => {
  it('runs the receiver, then the watched folder, as the wizard configured them', async () => {
    const session = await SiteSession.open(join(root, 'site'), { autoStartFederation: false });
    const dispatch = createIpcDispatcher(createIpcHandlers(session.agentPort(), { setup: session }));
    const sources = async () => {
      const answer = await dispatch('site:sources', undefined);
      if (!answer.ok) throw new Error(answer.error.message);
      return answer.value as StudySourcesView;
    };
    try {
      expect(await sources()).toMatchObject({ running: false, receiver: null, watch: null });
      const port = await freePort();
      await dispatch(
        'setup:finish',
        request({ kind: 'receiver', aeTitle: 'RADFED', port, allowedCallingAeTitles: ['PACS'] }),
      );
      expect(await sources()).toMatchObject({
        running: true,
        receiver: { aeTitle: 'RADFED', port, allowedCallingAeTitles: ['PACS'], received: 0 },
        watch: null,
        problem: null,
      });
      const sent = await storescu(port, [join(TEST_FILES, 'CT_small.dcm'), join(TEST_FILES, 'MR_small.dcm')]);
      expect(sent.code, sent.stderr).toBe(0);
      const received = await until(
        sources,
        (view) => view.receiver?.ingested === 2,
        'both instances ingested',
      );
      expect(received.receiver).toMatchObject({ received: 2, refused: 0, waiting: 0 });
      expect(session.agent.status().counts.instances).toBe(2);

      // The wizard again, now with a watched folder: the receiver stops, the watcher starts.
      const dropbox = join(root, 'dropbox');
      mkdirSync(dropbox);
      await dispatch('setup:finish', request({ kind: 'watch', folder: dropbox }));
      expect(await sources()).toMatchObject({ running: true, receiver: null, watch: { folder: dropbox } });
      const refused = await storescu(port, [join(TEST_FILES, 'CT_small.dcm')]);
      expect(refused.code).not.toBe(0);
      const [variant] = writeVariants(join(TEST_FILES, 'CT_small.dcm'), 1, join(root, 'variant'));
      writeFileSync(join(dropbox, 'Roe^Richard.dcm'), readFileSync(variant as string));
      const watched = await until(sources, (view) => view.watch?.ingested === 1, 'the dropped file ingested');
      expect(watched.lastEvent).toMatch(/Ingested 1 file from the watched folder: 1 de-identified/);
      expect(JSON.stringify(watched)).not.toContain('Roe');
      expect(session.agent.status().counts.instances).toBe(3);
    } finally {
      await session.close();
    }
    expect(session.studySources()).toMatchObject({ running: false });
  }, 120_000);

  it('says in words when the receiver cannot start, and the UI still opens', async () => {
    const first = await SiteSession.open(join(root, 'busy'), { autoStartFederation: false });
    const port = await freePort();
    await first.finish(
      request({ kind: 'receiver', aeTitle: 'RADFED', port, allowedCallingAeTitles: ['PACS'] }),
    );
    const second = await SiteSession.open(join(root, 'busy'), { autoStartFederation: false });
    try {
      expect(first.studySources().running).toBe(true);
      expect(second.studySources()).toMatchObject({
        running: false,
        problem: expect.stringMatching(/port/i),
      });
    } finally {
      await second.close();
      await first.close();
    }
  }, 60_000);
});

describe('SiteSession onEvent', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await makeTestHub();
  }, 60_000);
  afterAll(async () => hub?.cleanup());

  it('passes every federation event on, after the progress tracker recorded it', async () => {
    const seen: { event: SyncEvent; tracked: string[] }[] = [];
    let session: SiteSession | null = null;
    session = await SiteSession.open(join(root, 'events'), {
      waitSeconds: 1,
      runStudySources: false,
      onEvent: (event) => {
        const tasks = session?.federation.progress().tasks ?? [];
        seen.push({ event, tracked: tasks.map((t) => t.taskId) });
      },
    });
    try {
      await session.finish(request({ kind: 'folder' }, { token: (await hub.hub.createToken()).token }));
      const taskId = (await createTask(hub.hub.ctx, fixtureTask({ name: 'Events' }))).id;
      new TaskStore(session.agent.site.database).add(
        {
          id: 'chest-nodule',
          name: 'Nodules',
          labels: ['normal', 'nodule'],
          filters: {},
          validationFraction: 0.25,
          seed: 1,
        },
        { makeDefault: true },
      );
      await session.federation.approve(taskId);
      await until(
        () => seen.length,
        (n) => n > 0,
        'a federation event',
      );
      const first = seen[0]!;
      expect(first.event).toMatchObject({ taskId });
      // The tracker had the event before onEvent ran: the task is in the progress already.
      expect(first.tracked).toContain(taskId);
    } finally {
      await session.close();
    }
  }, 90_000);
});
