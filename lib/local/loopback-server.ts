import type { IncomingMessage, Server } from 'node:http';
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

/** A request's whole body, or undefined once it passes `maxBytes` (the rest is not kept). */
export async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
