// The machine a request came from, as the hub counts what unverified requests cost: an IPv4 address,
// or an IPv6 address's /64 (one network's hosts can each take any address in it, so a sender could
// otherwise wear a new one for every request). Behind a balancer that sends PROXY headers this is the
// client's own address (proxy-front.ts); behind one that does not, every client is the balancer.
import { isIP } from 'node:net';
import { plainAddress } from './proxy-front.ts';

export function senderMachine(address: string | undefined): string {
  const plain = plainAddress(address);
  if (isIP(plain) !== 6) return plain;
  return `${ipv6Groups(plain).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, '::' filled in (an embedded IPv4 tail counts as two). */
function ipv6Groups(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const part = (text: string | undefined) =>
    text ? text.split(':').flatMap((group) => (group.includes('.') ? ['v4', 'v4'] : [group])) : [];
  const before = part(head);
  const after = part(tail);
  const zeros = tail === undefined ? [] : Array<string>(8 - before.length - after.length).fill('0');
  return [...before, ...zeros, ...after].map((group) => group.replace(/^0+(?=.)/, ''));
}
