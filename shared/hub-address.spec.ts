import { describe, expect, it } from 'vitest';
import { checkHubAddress } from './hub-address.ts';

describe('a hub address typed by a person', () => {
  it('is an https:// address, given back as its origin', () => {
    expect(checkHubAddress(' https://hub.example.org:8443/ ')).toEqual({
      ok: true,
      origin: 'https://hub.example.org:8443',
    });
  });

  it('without https:// is refused with the address to type instead', () => {
    expect(checkHubAddress('hub.example.org:8443')).toEqual({
      ok: false,
      problem: expect.stringContaining('type https://hub.example.org:8443'),
    });
    expect(checkHubAddress('http://hub.example.org')).toEqual({
      ok: false,
      problem: expect.stringContaining('type https://hub.example.org'),
    });
  });

  it('that is not an address says so', () => {
    expect(checkHubAddress('https://')).toMatchObject({ ok: false });
    expect(checkHubAddress('')).toMatchObject({ ok: false, problem: expect.stringMatching(/Give the hub/) });
  });
});
