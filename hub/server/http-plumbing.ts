// The parts every route shares: bodies kept as raw bytes (the signature covers them exactly; when and
// how they are read is body-admission.ts), zod validation with a plain 400 sentence, responses validated before they leave, and errors turned
// into { error, message, hubTime } with the right status. Nothing here logs a body.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { HubContext } from '../hub-context.ts';
import { JsonTextError, parseJsonText } from '../../shared/json-text.ts';
import { safeCode } from '../../shared/log-safety.ts';
import { issuePath, issueText } from '../../shared/schema-issues.ts';
import { badRequest, HubError } from '../hub-errors.ts';

/** The hub's Fastify instance: HTTPS, any pino-compatible logger. */
export type HubApp = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger>;

export function rawBody(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}

export function parseJsonBody<S extends z.ZodType>(schema: S, body: Buffer): z.output<S> {
  let json: unknown;
  try {
    json = parseJsonText(body.toString('utf8'), {
      what: 'The request body',
      todo: 'Send the JSON this RadFed version expects.',
    });
  } catch (error) {
    // Where the body goes wrong (line, column), never a piece of it: see shared/json-text.ts.
    if (error instanceof JsonTextError) throw badRequest('bad-json', error.message);
    throw error;
  }
  return parseWith(schema, json, 'request body');
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    // By path and expected type only: zod names an unknown key and a record's keys, which a body
    // may have filled with a value (shared/schema-issues.ts).
    const first = parsed.error.issues[0];
    const path = first ? issuePath(first.path) : '';
    throw badRequest(
      'bad-request',
      `The ${what} is not valid${path ? ` at ${path}` : ''}: ${first ? issueText(first) : 'unexpected shape'}.`,
    );
  }
  return parsed.data;
}

/** Validates a response against its schema before sending: the hub never sends what sites cannot parse. */
export function sendJson<S extends z.ZodType>(
  reply: FastifyReply,
  schema: S,
  value: z.input<S>,
  status = 200,
) {
  return reply
    .code(status)
    .type('application/json')
    .send(JSON.stringify(schema.parse(value)));
}

export function installErrorHandling(app: HubApp, ctx: HubContext): void {
  const body = (error: string, message: string) => JSON.stringify({ error, message, hubTime: ctx.now() });
  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .type('application/json')
      .send(
        body(
          'not-found',
          `This hub has no ${request.method} ${request.url.split('?')[0]}; check the RadFed versions.`,
        ),
      );
  });
  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, request, reply) => {
    if (error instanceof HubError) {
      if (isDatabaseDown(error)) {
        // The operator's sentence names the database's host and port: for the log, not for whoever
        // asked (the check of a request's signature is itself a query, so anyone may get here).
        request.log.error({ code: error.code }, error.message);
        return reply
          .code(503)
          .header('retry-after', '5')
          .type('application/json')
          .send(body(error.code, DATABASE_DOWN_SENTENCE));
      }
      if (error.statusCode === 503) reply.header('retry-after', '5');
      else if (error.statusCode >= 500) request.log.error({ code: error.code }, error.message);
      return reply.code(error.statusCode).type('application/json').send(body(error.code, error.message));
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const limit = request.routeOptions.bodyLimit ?? ctx.limits.maxJsonBytes;
      return reply
        .code(413)
        .type('application/json')
        .send(
          body(
            'too-large',
            `The request body is larger than this hub accepts here (${limit} bytes at most); large updates go in chunks.`,
          ),
        );
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply
        .code(415)
        .type('application/json')
        .send(body('bad-media-type', 'Send JSON (application/json) or bytes (application/octet-stream).'));
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).type('application/json').send(body('bad-request', error.message));
    }
    if (diskFull(error)) {
      // Said to the coordinator in the log and to the site in words: a 500 "see the hub's log" told
      // neither what to do. 503 with a wait: the site's retry finds room once space is freed.
      request.log.error(
        { err: error },
        "the hub's disk is full: free space on the disk that holds the hub folder or its database",
      );
      return reply
        .code(503)
        .header('retry-after', '60')
        .type('application/json')
        .send(
          body(
            'hub-disk-full',
            "The hub's disk is full, so it could not store this request; its coordinator must free space there. Try again later (a site retries by itself).",
          ),
        );
    }
    request.log.error({ err: error }, 'request failed');
    return reply
      .code(500)
      .type('application/json')
      .send(
        body(
          'internal',
          "The hub failed to handle this request; the coordinator finds the details in the hub's log.",
        ),
      );
  });
}

/**
 * A write refused for want of space, here or as a cause: Node's ENOSPC or EDQUOT, SQLite's
 * SQLITE_FULL, PostgreSQL's disk_full (53100).
 */
export function diskFull(error: unknown): boolean {
  for (let at = error, depth = 0; at !== undefined && at !== null && depth < 3; depth += 1) {
    const code = safeCode(at);
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === '53100' || code?.startsWith('SQLITE_FULL'))
      return true;
    at = (at as { cause?: unknown }).cause;
  }
  return false;
}

/** What a site or a browser is told while the hub cannot use its database (the log has the detail). */
export const DATABASE_DOWN_SENTENCE =
  'The hub cannot reach its database just now; try again in a few seconds. Its coordinator finds the details in the hub\u2019s log.';

/** The store's refusals that name the database (postgres-connection.ts): unreachable, login, missing. */
export function isDatabaseDown(error: unknown): boolean {
  return error instanceof HubError && error.statusCode === 503 && error.code.startsWith('database-');
}
