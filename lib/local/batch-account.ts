import { LocalAppError } from './app-error';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './template';

/** Where the local Batch pretends to run: Batch names its queues, definitions and jobs by region and account. */
export interface BatchAccount {
  readonly region: string;
  readonly accountId: string;
}

const BATCH_ARN = /^arn:aws[a-z-]*:batch:([a-z0-9-]+):(\d{12}):/;

/**
 * The region and account of the Batch resources an app names by ARN (an imported queue, a stack with an
 * explicit env), so the local Batch, which refuses ARNs of another region or account as Batch does, knows
 * them; names alone leave the local default.
 * @throws LocalAppError if the ARNs name several regions or accounts (one local Batch cannot be all of them)
 */
export function batchAccountOf(references: readonly string[]): BatchAccount {
  const accounts = new Map<string, BatchAccount>();
  for (const reference of references) {
    const match = BATCH_ARN.exec(reference);
    if (match)
      accounts.set(`${match[1]}/${match[2]}`, { region: match[1] as string, accountId: match[2] as string });
  }
  if (accounts.size > 1) {
    throw new LocalAppError(
      `the app names Batch resources in several regions or accounts (${[...accounts.keys()].join(', ')}); the local Batch is one region and account`,
    );
  }
  return [...accounts.values()][0] ?? { region: LOCAL_REGION, accountId: LOCAL_ACCOUNT };
}
