// GET /v1/hub/health: the load balancer's check of a replica. It answers 200 only when this replica
// can reach its database, so HAProxy stops sending sites to a replica that has lost PostgreSQL (GET
// /v1/hub would still answer from memory). Unsigned and open to any protocol version, like /v1/hub (a
// balancer says none), and it says nothing but its state.
import type { HubContext } from '../hub-context.ts';
import type { HubApp } from './http-plumbing.ts';

export const HEALTH_PATH = '/v1/hub/health';

export function registerHealthRoute(app: HubApp, ctx: HubContext): void {
  app.get(HEALTH_PATH, { config: { unsigned: true, anyProtocol: true } }, async (_request, reply) => {
    try {
      await ctx.store.sql.get('SELECT 1 AS ok');
    } catch {
      return reply.code(503).header('cache-control', 'no-store').send({ ok: false, database: 'unreachable' });
    }
    return reply.header('cache-control', 'no-store').send({ ok: true, engine: ctx.store.sql.engine });
  });
}
