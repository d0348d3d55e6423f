import { describe, expect, it } from 'vitest';
import { senderMachine } from './sender-machine.ts';

describe('senderMachine', () => {
  it('names an IPv4 client by its address, however the listener spelt it', () => {
    expect(senderMachine('10.0.0.7')).toBe('10.0.0.7');
    expect(senderMachine('::ffff:10.0.0.7')).toBe('10.0.0.7');
  });

  it('names an IPv6 client by its /64, so a new address in the same network is the same machine', () => {
    const one = senderMachine('2001:db8:1:2:a::1');
    expect(one).toBe('2001:db8:1:2::/64');
    expect(senderMachine('2001:0db8:0001:0002:ffff:1:2:3')).toBe(one);
    expect(senderMachine('2001:db8:1:3::1')).not.toBe(one);
    expect(senderMachine('::1')).toBe('0:0:0:0::/64');
    expect(senderMachine('2001:db8::')).toBe('2001:db8:0:0::/64');
  });
});
