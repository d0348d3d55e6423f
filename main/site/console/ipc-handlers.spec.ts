import { describe, expect, it } from 'vitest';
import { RadfedError } from '../../../shared/errors.ts';
import { IPC_CHANNEL_NAMES, type SiteStatus } from '../../../shared/ipc/index.ts';
import { createIpcDispatcher, createIpcHandlers, type SiteAgentPort } from './ipc-handlers.ts';

const status: SiteStatus = {
  siteName: 'North',
  directory: '/tmp/north',
  consentPolicy: 'not-set',
  deidOptions: ['clean-descriptors'],
  counts: { patients: 3, studies: 5, series: 6, instances: 120, held: 2, rejected: 1 },
  lastIngestAt: null,
};

// A stub agent with status() only: the other channels are not called here.
function dispatcherFor(agent: Pick<SiteAgentPort, 'status'>) {
  const logged: object[] = [];
  const dispatch = createIpcDispatcher(createIpcHandlers(agent as SiteAgentPort), {
    logger: { error: (details) => logged.push(details) },
  });
  return { dispatch, logged };
}

class StoreLockedError extends RadfedError<'store-locked'> {
  constructor(message: string) {
    super('store-locked', message);
  }
}

describe('IPC dispatcher', () => {
  it('answers site:status with the agent status in an ok envelope', async () => {
    const { dispatch } = dispatcherFor({ status: () => status });
    await expect(dispatch('site:status', undefined)).resolves.toEqual({ ok: true, value: status });
  });

  it('waits for an agent that answers asynchronously', async () => {
    const { dispatch } = dispatcherFor({ status: async () => status });
    await expect(dispatch('site:status', undefined)).resolves.toEqual({ ok: true, value: status });
  });

  it('answers unknown-channel for a channel outside the contract, without calling the agent', async () => {
    let called = false;
    const { dispatch } = dispatcherFor({ status: () => ((called = true), status) });
    const result = await dispatch('site:erase-everything', undefined);
    expect(result).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
    expect(called).toBe(false);
  });

  it('answers invalid-payload when the payload does not match the schema', async () => {
    const { dispatch } = dispatcherFor({ status: () => status });
    const result = await dispatch('site:status', { patientName: 'DOE^JANE' });
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    // The rejected value is not echoed back.
    expect(JSON.stringify(result)).not.toContain('DOE^JANE');
  });

  it('passes on the code and sentence of a typed agent error (stub agent that throws)', async () => {
    const { dispatch } = dispatcherFor({
      status: () => {
        throw new StoreLockedError('The site store is in use by another RadFed; close it and try again.');
      },
    });
    await expect(dispatch('site:status', undefined)).resolves.toEqual({
      ok: false,
      error: {
        code: 'store-locked',
        message: 'The site store is in use by another RadFed; close it and try again.',
      },
    });
  });

  it('hides an undescribed failure behind "internal", logs it, and never returns the stack (stub agent)', async () => {
    const { dispatch, logged } = dispatcherFor({
      status: () => {
        throw Object.assign(new Error('SQLITE_CORRUPT at /secret/path/site.db'), { code: 'SQLITE_CORRUPT' });
      },
    });
    const result = await dispatch('site:status', undefined);
    expect(result).toMatchObject({ ok: false, error: { code: 'internal' } });
    const text = JSON.stringify(result);
    expect(text).not.toContain('/secret/path');
    expect(text).not.toContain('ipc-handlers');
    expect(logged).toHaveLength(1);
  });

  it('recognises its own errors by class: a foreign error with a kebab-case code is still "internal"', async () => {
    // A library error shaped like ours (Node's fs errors carry codes such as 'err-fs-cp-einval'):
    // before RadfedError the dispatcher matched the code's shape and passed its message, path and all.
    const { dispatch } = dispatcherFor({
      status: () => {
        throw Object.assign(new Error('cannot copy /data/DOE^JANE/ct.dcm onto itself'), {
          code: 'err-fs-cp-einval',
        });
      },
    });
    const result = await dispatch('site:status', undefined);
    expect(result).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(JSON.stringify(result)).not.toContain('DOE^JANE');
  });
});

describe('IPC handler map', () => {
  it('has one handler for every channel of the contract and none beside', () => {
    const handlers = createIpcHandlers({ status: () => status } as unknown as SiteAgentPort);
    expect(Object.keys(handlers).sort()).toEqual([...IPC_CHANNEL_NAMES].sort());
  });
});
