// The names and addresses a hub certificate is made for: each must be a DNS name or an IP address.
import { isIP } from 'node:net';
import { HubError } from '../hub-errors.ts';

export function checkHostNames(hosts: readonly string[]): string[] {
  const cleaned = [...new Set(hosts.map((host) => host.trim()).filter((host) => host.length > 0))];
  if (cleaned.length === 0)
    throw new HubError('no-host', 400, 'Give at least one host name or IP address (--host).');
  for (const host of cleaned) {
    if (
      !isIP(host) &&
      !/^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(
        host,
      )
    ) {
      throw new HubError(
        'bad-host',
        400,
        `"${host}" is neither a host name nor an IP address; use names like hub.example.org or 10.0.0.5.`,
      );
    }
  }
  return cleaned;
}
