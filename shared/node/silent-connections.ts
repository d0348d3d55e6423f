// Closes a connection that has not sent a whole request head in time: from the end of its TLS
// handshake (HTTPS), or from its connection (plain HTTP). Node closes an unfinished handshake
// (handshakeTimeout) and a request head that arrives too slowly only once a byte of it came
// (headersTimeout, checked every 30 s), but a connection that sends nothing was kept for good: a
// stranger (the hub) or another local user (the site's web UI) could open them one after another until
// the process ran out of file descriptors. A client sends its request as soon as it is connected; an
// idle keep-alive connection after a request is closed by keepAliveTimeout.
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { Server as TlsServer } from 'node:tls';
import type { Socket } from 'node:net';

/** Default time from connection (or TLS handshake) to a whole request head. */
export const FIRST_REQUEST_MS = 20_000;

export function closeSilentConnections(
  server: HttpServer | HttpsServer,
  firstRequestMs = FIRST_REQUEST_MS,
): void {
  const timers = new WeakMap<object, NodeJS.Timeout>();
  const heard = (request: IncomingMessage) => {
    const timer = timers.get(request.socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    timers.delete(request.socket);
  };
  // An HTTPS server's requests come on the TLS socket, which exists once the handshake is done.
  const connected = server instanceof TlsServer ? 'secureConnection' : 'connection';
  server.on(connected, (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), firstRequestMs);
    timer.unref();
    timers.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  server.on('request', heard);
  // An upgrade request (the hub's split-learning sessions) is not a 'request' event.
  server.on('upgrade', heard);
}
