// Closes a connection that finished its TLS handshake but has not sent a whole request head in time.
// Node closes an unfinished handshake (handshakeTimeout) and a request head that arrives too slowly
// only once a byte of it came (headersTimeout, checked every 30 s), but a connection that sends
// nothing after its handshake was kept for good: a stranger could open them one after another until
// the hub ran out of file descriptors, and then no site could connect and no blob could be opened.
// A site or a browser sends its request right after the handshake; an idle keep-alive connection
// after a request is closed by keepAliveTimeout, and a request's body by the body timeouts.
import type { IncomingMessage } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';

/** Default time from the end of the handshake to a whole request head. */
export const FIRST_REQUEST_MS = 20_000;

export function closeSilentConnections(server: HttpsServer, firstRequestMs = FIRST_REQUEST_MS): void {
  const timers = new WeakMap<object, NodeJS.Timeout>();
  const heard = (request: IncomingMessage) => {
    const timer = timers.get(request.socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    timers.delete(request.socket);
  };
  server.on('secureConnection', (socket: TLSSocket) => {
    const timer = setTimeout(() => socket.destroy(), firstRequestMs);
    timer.unref();
    timers.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  server.on('request', heard);
  // Split learning's sessions begin with an upgrade request, which is not a 'request' event.
  server.on('upgrade', heard);
}
