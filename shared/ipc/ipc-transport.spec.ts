import { describe, expect, it } from 'vitest';
import { createIpcTransport } from './ipc-transport.ts';
import { createRadfedApi, ipcFail, ipcOk, RadfedApiError } from './index.ts';

describe('the preload transport', () => {
  it('passes a contract channel through and answers with the envelope', async () => {
    const sent: [string, unknown][] = [];
    const transport = createIpcTransport(async (channel, payload) => {
      sent.push([channel, payload]);
      return ipcOk({ answered: true });
    });
    expect(Object.isFrozen(transport)).toBe(true);
    expect(await transport.invoke('settings:get')).toEqual(ipcOk({ answered: true }));
    expect(sent).toEqual([['settings:get', undefined]]);
  });

  it('refuses a channel outside the contract without sending it', async () => {
    let sends = 0;
    const transport = createIpcTransport(async () => (sends += 1));
    const answer = (await transport.invoke('shell:open-external', 'file:///etc/passwd')) as {
      ok: boolean;
      error: { code: string };
    };
    expect(answer.ok).toBe(false);
    expect(answer.error.code).toBe('unknown-channel');
    expect(sends).toBe(0);
  });

  it('turns a main process that never answered into an envelope, not a thrown error', async () => {
    const transport = createIpcTransport(async () => {
      throw new Error('No handler registered for settings:get');
    });
    const answer = (await transport.invoke('settings:get')) as { ok: boolean; error: { code: string } };
    expect(answer.ok).toBe(false);
    expect(answer.error.code).toBe('unreachable');
  });

  it('lets the page build the API on its side, so a refusal keeps its code and class', async () => {
    // What the renderer does with window.radfedIpc: the error is made on the page's side of the bridge.
    const transport = createIpcTransport(async () => ipcFail('setting-locked', 'IT locked this setting.'));
    const api = createRadfedApi((channel, payload) => transport.invoke(channel, payload));
    const refusal = await api.settings.set({ 'app.autoUpdate': true }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(RadfedApiError);
    expect((refusal as RadfedApiError).code).toBe('setting-locked');
  });
});
