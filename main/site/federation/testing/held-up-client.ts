// A site's hub client whose round polls first wait for `hold`: a process that gets no core for a
// while, or a spec that changes the hub between two of the site's looks (a hub that lies in the next
// view). Everything else goes to the real client unchanged.
import type { HubClient } from '../../../../shared/node/federation/index.ts';

export function heldUp(client: HubClient, hold: () => Promise<void>): HubClient {
  return new Proxy(client, {
    get(target, property) {
      if (property === 'getRound') {
        return async (...args: Parameters<HubClient['getRound']>) => {
          await hold();
          return target.getRound(...args);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
