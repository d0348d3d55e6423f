// PROXY protocol v2 headers made by hand, byte for byte as the specification lays them out, for the
// header reader's tests and for clients that play a load balancer.
const SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

/** A v2 header: version/command byte, family/transport byte, then the block (its length is computed). */
export function proxyHeader(versionCommand: number, familyTransport: number, block: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(block.length);
  return Buffer.concat([SIGNATURE, Buffer.from([versionCommand, familyTransport]), length, block]);
}

/** PROXY over TCP/IPv4 from source:port to 127.0.0.1:443. */
export function ipv4Header(source: string, port: number): Buffer {
  const block = Buffer.alloc(12);
  source.split('.').forEach((part, at) => block.writeUInt8(Number(part), at));
  block.set([127, 0, 0, 1], 4);
  block.writeUInt16BE(port, 8);
  block.writeUInt16BE(443, 10);
  return proxyHeader(0x21, 0x11, block);
}

/** PROXY over TCP/IPv6 from the 16 source bytes given. */
export function ipv6Header(source: Buffer, port: number): Buffer {
  const block = Buffer.alloc(36);
  source.copy(block, 0);
  block.writeUInt8(1, 31); // destination ::1
  block.writeUInt16BE(port, 32);
  block.writeUInt16BE(443, 34);
  return proxyHeader(0x21, 0x21, block);
}
