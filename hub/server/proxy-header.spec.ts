// The PROXY v2 header reader on hand-made headers, byte for byte as the specification lays them out.
import { describe, expect, it } from 'vitest';
import { PROXY_MAX_BLOCK_BYTES, readProxyHeader } from './proxy-header.ts';
import { ipv4Header, ipv6Header, proxyHeader } from './testing/proxy-headers.ts';

describe('readProxyHeader', () => {
  it('reads a TCP/IPv4 client and the header length, leaving what follows', () => {
    const header = ipv4Header('10.20.30.40', 51000);
    const reading = readProxyHeader(Buffer.concat([header, Buffer.from([0x16, 0x03, 0x01])]));
    expect(reading).toEqual({
      state: 'complete',
      length: header.length,
      client: { address: '10.20.30.40', port: 51000, family: 'IPv4' },
    });
  });

  it('reads a TCP/IPv6 client in the compressed spelling Node uses, with TLVs after the addresses', () => {
    const source = Buffer.from('20010db8000000000000000000000007', 'hex');
    const withTlv = ipv6Header(source, 4433);
    const tlv = Buffer.from([0x01, 0x00, 0x02, 0x68, 0x32]); // PP2_TYPE_ALPN "h2"
    const header = proxyHeader(0x21, 0x21, Buffer.concat([withTlv.subarray(16), tlv]));
    expect(readProxyHeader(header)).toEqual({
      state: 'complete',
      length: header.length,
      client: { address: '2001:db8::7', port: 4433, family: 'IPv6' },
    });
  });

  it('takes LOCAL (the balancer’s own health check) without a client, whatever its block holds', () => {
    const header = proxyHeader(0x20, 0x00, Buffer.alloc(0));
    expect(readProxyHeader(header)).toEqual({ state: 'complete', length: 16 });
  });

  it('waits for more bytes while the header could still be valid', () => {
    const header = ipv4Header('10.0.0.1', 1);
    for (const cut of [1, 11, 12, 15, 16, header.length - 1]) {
      expect(readProxyHeader(header.subarray(0, cut))).toEqual({ state: 'incomplete' });
    }
  });

  it('refuses at the first wrong byte: a TLS ClientHello, the text v1 header, a near-signature', () => {
    for (const bytes of [
      Buffer.from([0x16, 0x03, 0x01, 0x02]),
      Buffer.from('PROXY TCP4 10.0.0.1 10.0.0.2 1 2\r\n'),
      Buffer.from('0d0a0d0a000d0a5155495420', 'hex'),
    ]) {
      expect(readProxyHeader(bytes).state).toBe('refused');
    }
  });

  it('refuses another version, an unknown command, UDP, AF_UNIX, AF_UNSPEC and a block too short', () => {
    const v4 = ipv4Header('10.0.0.1', 1).subarray(16);
    for (const header of [
      proxyHeader(0x11, 0x11, v4),
      proxyHeader(0x22, 0x11, v4),
      proxyHeader(0x21, 0x12, v4),
      proxyHeader(0x21, 0x31, Buffer.alloc(216)),
      proxyHeader(0x21, 0x01, Buffer.alloc(0)),
      proxyHeader(0x21, 0x11, v4.subarray(0, 11)),
      proxyHeader(0x21, 0x21, Buffer.alloc(35)),
    ]) {
      expect(readProxyHeader(header).state).toBe('refused');
    }
  });

  it('refuses a length over the bound from the fixed part alone, before its bytes arrive', () => {
    const fixed = proxyHeader(0x21, 0x11, Buffer.alloc(0));
    fixed.writeUInt16BE(PROXY_MAX_BLOCK_BYTES + 1, 14);
    expect(readProxyHeader(fixed)).toMatchObject({ state: 'refused' });
    fixed.writeUInt16BE(0xffff, 14);
    expect(readProxyHeader(fixed)).toMatchObject({ state: 'refused' });
  });
});
