// Reads the PROXY protocol version 2 header (HAProxy's `send-proxy-v2`): the binary block a TCP-mode
// load balancer writes before the client's first byte, saying which address the client connected from.
// The format is fixed and short (https://www.haproxy.org/download/2.8/doc/proxy-protocol.txt, section
// 2.2): 12 signature bytes, a version/command byte, a family/transport byte, a 16-bit length, then that
// many bytes of addresses and optional TLVs. Node has no parser of its own and the npm ones are small
// and unmaintained, so this one is written here, against the specification, refusing everything else.
import { isIP } from 'node:net';

/** The twelve bytes every v2 header begins with ("\r\n\r\n\0\r\nQUIT\n"). */
const SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** Signature, version/command, family/transport and the 16-bit length. */
export const PROXY_FIXED_BYTES = 16;
/**
 * The most address-and-TLV bytes accepted after the fixed part. Addresses take at most 216 (AF_UNIX);
 * the rest leaves room for the TLVs HAProxy may add (ALPN, authority, unique id). A length above this is
 * refused before its bytes are waited for.
 */
export const PROXY_MAX_BLOCK_BYTES = 512;

const COMMAND_LOCAL = 0x0;
const COMMAND_PROXY = 0x1;
const FAMILY_INET = 0x1;
const FAMILY_INET6 = 0x2;
const TRANSPORT_STREAM = 0x1;

/** Where the client connected from, as the balancer saw it. */
export interface ProxiedClient {
  readonly address: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
}

export type ProxyHeaderReading =
  /** More bytes are needed before the header can be judged. */
  | { readonly state: 'incomplete' }
  /** A valid header of `length` bytes; `client` is absent for LOCAL (the balancer's own health check). */
  | { readonly state: 'complete'; readonly length: number; readonly client?: ProxiedClient }
  | { readonly state: 'refused'; readonly reason: string };

/** Judges the bytes received so far on a connection from the balancer. */
export function readProxyHeader(bytes: Buffer): ProxyHeaderReading {
  // The signature is checked on the bytes already here, so a client that sends anything else (a TLS
  // ClientHello straight to the replica) is refused at once rather than waited on.
  const seen = Math.min(bytes.length, SIGNATURE.length);
  if (!bytes.subarray(0, seen).equals(SIGNATURE.subarray(0, seen))) {
    return refused('the connection did not begin with a PROXY protocol v2 header');
  }
  if (bytes.length < PROXY_FIXED_BYTES) return { state: 'incomplete' };
  const versionCommand = bytes[12] as number;
  const familyTransport = bytes[13] as number;
  const blockLength = bytes.readUInt16BE(14);
  if (versionCommand >> 4 !== 2) return refused(`PROXY protocol version ${versionCommand >> 4} is not 2`);
  if (blockLength > PROXY_MAX_BLOCK_BYTES) {
    return refused(
      `a PROXY header of ${blockLength} address bytes is over the ${PROXY_MAX_BLOCK_BYTES} allowed`,
    );
  }
  const command = versionCommand & 0x0f;
  if (command !== COMMAND_LOCAL && command !== COMMAND_PROXY)
    return refused(`PROXY command ${command} is unknown`);
  const length = PROXY_FIXED_BYTES + blockLength;
  if (bytes.length < length) return { state: 'incomplete' };
  // LOCAL: the balancer speaking for itself (its health checks); the block is skipped, whatever it holds.
  if (command === COMMAND_LOCAL) return { state: 'complete', length };

  const family = familyTransport >> 4;
  if ((familyTransport & 0x0f) !== TRANSPORT_STREAM) {
    return refused('a PROXY header for a transport other than TCP');
  }
  const block = bytes.subarray(PROXY_FIXED_BYTES, length);
  if (family === FAMILY_INET) {
    // Source address (4), destination address (4), source port (2), destination port (2), then TLVs.
    if (block.length < 12) return refused('a PROXY header too short for its IPv4 addresses');
    const address = Array.from(block.subarray(0, 4)).join('.');
    return { state: 'complete', length, client: { address, port: block.readUInt16BE(8), family: 'IPv4' } };
  }
  if (family === FAMILY_INET6) {
    if (block.length < 36) return refused('a PROXY header too short for its IPv6 addresses');
    const address = ipv6Text(block.subarray(0, 16));
    return { state: 'complete', length, client: { address, port: block.readUInt16BE(32), family: 'IPv6' } };
  }
  // AF_UNSPEC and AF_UNIX carry no address a route could use; this hub is only put behind TCP balancers.
  return refused(`a PROXY header for address family ${family}, not IPv4 or IPv6`);
}

/** True when the first bytes could be a PROXY header, v2 or the text v1 ("PROXY "); a TLS record never can. */
export function looksLikeProxyHeader(bytes: Buffer): boolean {
  const first = bytes[0];
  return first === SIGNATURE[0] || first === 0x50; /* 'P' */
}

/** The address as Node writes it (compressed zeros, lower case), so limits and logs see one spelling. */
function ipv6Text(bytes: Buffer): string {
  const groups: string[] = [];
  for (let at = 0; at < 16; at += 2) groups.push(bytes.readUInt16BE(at).toString(16));
  const text = new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
  if (isIP(text) !== 6) throw new Error(`not an IPv6 address: ${text}`);
  return text;
}

function refused(reason: string): ProxyHeaderReading {
  return { state: 'refused', reason };
}
