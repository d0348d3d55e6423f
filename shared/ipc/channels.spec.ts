// The contract's table is the one definition of the IPC: these checks fail when a channel lacks a
// request or response schema, names an API method another channel has, or makes its request from
// arguments the schema does not take, so a channel cannot be half-added.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { IpcChannel, IPC_CHANNEL_NAMES } from './channel-names.ts';
import { ipcContract } from './channels.ts';
import { createRadfedApi } from './radfed-api.ts';
import { ipcOk } from './result.ts';

/** What is wrong with a contract table, one sentence per problem; empty when nothing is. */
function contractProblems(contract: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const methods = new Map<string, string>();
  for (const [channel, entry] of Object.entries(contract)) {
    if (!/^[a-z]+:[a-z]+(?:-[a-z]+)*$/.test(channel)) problems.push(`${channel}: not domain:action`);
    const spec = (entry ?? {}) as { request?: unknown; response?: unknown; api?: unknown; args?: unknown };
    if (!(spec.request instanceof z.ZodType)) problems.push(`${channel}: no request schema`);
    if (!(spec.response instanceof z.ZodType)) problems.push(`${channel}: no response schema`);
    if (typeof spec.api !== 'string' || !/^[a-z]+\.[a-zA-Z]+$/.test(spec.api)) {
      problems.push(`${channel}: no API method (domain.method)`);
    } else if (methods.has(spec.api)) {
      problems.push(`${channel}: API method ${spec.api} is already ${methods.get(spec.api)}'s`);
    } else methods.set(spec.api, channel);
    if (!(spec.request instanceof z.ZodType)) continue;
    if (spec.args === undefined && !spec.request.safeParse(undefined).success) {
      problems.push(`${channel}: its method takes no arguments, but its request needs a payload`);
    }
    if (Array.isArray(spec.args)) {
      const shape =
        spec.request instanceof z.ZodObject ? (spec.request.shape as Record<string, unknown>) : {};
      for (const field of spec.args as string[]) {
        if (!(field in shape)) problems.push(`${channel}: argument ${field} is not a field of its request`);
      }
    }
  }
  return problems;
}

describe('the IPC contract table', () => {
  it('gives every channel a request schema, a response schema and its own API method', () => {
    expect(IPC_CHANNEL_NAMES.length).toBeGreaterThan(40);
    expect(contractProblems(ipcContract)).toEqual([]);
  });

  it('catches a planted channel without a response schema, one with a plain type and a shared method', () => {
    const planted = {
      ...ipcContract,
      'studies:delete-all': { request: z.undefined(), api: 'studies.deleteAll' },
      'studies:count': { request: z.undefined(), response: 'number', api: 'studies.count' },
      'consent:list-again': { request: z.undefined(), response: z.number(), api: 'consent.register' },
      'held:rotate': { request: z.strictObject({ id: z.number() }), response: z.null(), api: 'held.rotate' },
    };
    expect(contractProblems(planted)).toEqual([
      'studies:delete-all: no response schema',
      'studies:count: no response schema',
      "consent:list-again: API method consent.register is already consent:list's",
      'held:rotate: its method takes no arguments, but its request needs a payload',
    ]);
  });

  it('derives a constant per channel: studies:import-start is IpcChannel.studiesImportStart', () => {
    expect(IpcChannel.studiesImportStart).toBe('studies:import-start');
    expect(Object.values(IpcChannel).sort()).toEqual([...IPC_CHANNEL_NAMES].sort());
  });

  it('gives the API object one method per channel, sending the request its arguments make', async () => {
    const sent: [string, unknown][] = [];
    const api = createRadfedApi(async (channel, payload) => (sent.push([channel, payload]), ipcOk(null)));
    const methods = Object.values(api).flatMap((domain) => Object.keys(domain));
    expect(methods).toHaveLength(IPC_CHANNEL_NAMES.length);
    await api.held.releaseAsIs(7, 'Ann');
    await api.files.listFolders();
    await api.cohort.summary('chest');
    await api.setup.checkHub({ token: 't' });
    await api.audit.verify();
    expect(sent).toEqual([
      ['held:release-as-is', { id: 7, confirmedBy: 'Ann' }],
      ['files:list-folders', {}],
      ['cohort:summary', { taskId: 'chest' }],
      ['setup:check-hub', { token: 't' }],
      ['audit:verify', undefined],
    ]);
  });

  it('makes every request the API can send one that the dispatcher accepts', () => {
    for (const [channel, spec] of Object.entries(ipcContract)) {
      if (!('args' in spec) || !Array.isArray(spec.args)) continue;
      // Left-out optional fields give `{}`: it must be a valid request where every field is optional.
      const allOptional = spec.args.every((field: string) => {
        const fields = (spec.request as z.ZodObject).shape as Record<string, z.ZodType>;
        return fields[field]?.safeParse(undefined).success;
      });
      if (allOptional) expect(spec.request.safeParse({}).success, channel).toBe(true);
    }
  });
});
