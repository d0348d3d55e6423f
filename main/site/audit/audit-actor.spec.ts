import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { actorFor, commandActor, osUserName } from './audit-actor.ts';

describe('actorFor', () => {
  it('names the operator and the OS user on the desktop, the operator in site ui, the OS user in commands', () => {
    expect(actorFor('desktop', 'Jane Doe', 'jdoe')).toBe('Jane Doe (jdoe)');
    expect(actorFor('site-ui', 'Jane Doe', 'jdoe')).toBe('Jane Doe');
    expect(actorFor('command', 'Jane Doe', 'jdoe')).toBe('jdoe');
  });

  it('falls back to the OS user when no name was given (never a role)', () => {
    for (const origin of ['desktop', 'site-ui', 'command'] as const) {
      expect(actorFor(origin, null, 'jdoe')).toBe('jdoe');
      expect(actorFor(origin, '   ', 'jdoe')).toBe('jdoe');
    }
  });

  it('takes the OS user from the operating system', () => {
    expect(osUserName()).toBe(userInfo().username);
    expect(commandActor()).toBe(userInfo().username);
    expect(commandActor()).not.toBe('operator');
  });
});
