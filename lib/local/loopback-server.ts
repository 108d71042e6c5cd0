import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What every local emulator does with its HTTP server: listen on 127.0.0.1 only, say where, close. */

/** Listens on an ephemeral port of 127.0.0.1 (never another interface). */
export function listenOnLoopback(server: Server): Promise<void> {
  return new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
}

/** `http://127.0.0.1:<port>` of a listening server. @throws Error naming `what` if it is not listening */
export function loopbackOrigin(server: Server, what: string): string {
  const address = server.address() as AddressInfo | null;
  if (!address) throw new Error(`${what} is not listening`);
  return `http://127.0.0.1:${address.port}`;
}

/** Closes the server, and every connection still open (a hung request included). */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
