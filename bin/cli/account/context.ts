import { type AwsClients, type ClientFactory, destroyClients } from './clients';
import type { Output } from './io';

/** What an account command needs from outside; injected so tests control AWS, time and output. */
export interface CommandContext {
  output: Output;
  clients: ClientFactory;
  /** Waits between polls of `start --wait`; tests pass one that returns at once. */
  sleep: (ms: number) => Promise<void>;
  /** Epoch milliseconds. */
  now: () => number;
  /** How often `start --wait` asks for the execution's status. */
  pollIntervalMs: number;
  /** When `stepwait ui` stops serving; default Ctrl-C (SIGINT) or SIGTERM. */
  untilStopped?: () => Promise<void>;
}

/** Runs `body` with clients for `region` and closes them afterwards, whatever happens. */
export async function withClients<T>(
  context: CommandContext,
  region: string | undefined,
  body: (clients: AwsClients) => Promise<T>,
): Promise<T> {
  const clients = context.clients(region === undefined ? {} : { region });
  try {
    return await body(clients);
  } finally {
    destroyClients(clients);
  }
}
