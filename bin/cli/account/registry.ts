import { TETHYS_STATUSES, type TethysStatus } from '../../../waiters';
import { UsageError } from '../usage-error';
import type { AwsClients } from './clients';
import { CliError } from './errors';
import { columns, isoSeconds } from './io';
import { RegistryClient } from './registry-client';
import { DEFAULT_STACK, stackOutputs } from './state-machine';

/**
 * The account commands over the registry API (`--mine`, `--all`): the registry's URL, a client signing
 * with the caller's own credentials, and its answers as CliErrors where it refuses.
 */

/** The stack output the example stack (and any stack with `registry: true`) names the registry API by. */
export const REGISTRY_URL_OUTPUT = 'RegistryUrl';

/** A function URL (`https://<id>.lambda-url.<region>.on.aws/`), or the local one on 127.0.0.1. */
const FUNCTION_URL = /^https:\/\/[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws\/?$/;
const LOOPBACK_URL = /^http:\/\/127\.0\.0\.1:\d+\/?$/;

export interface RegistryLocation {
  url: string;
  /** The region its signature is for: the URL's, else the clients'. */
  region?: string;
}

/** `--registry-url` as given (a function URL or the local loopback one), else the stack's RegistryUrl output. */
export async function resolveRegistryUrl(
  clients: AwsClients,
  options: { registryUrl?: string; stack?: string },
): Promise<RegistryLocation> {
  if (options.registryUrl !== undefined) return checkedUrl(options.registryUrl, '--registry-url');
  const stack = options.stack ?? DEFAULT_STACK;
  const outputs = await stackOutputs(clients, stack);
  const url = outputs.find((output) => output.OutputKey === REGISTRY_URL_OUTPUT)?.OutputValue;
  if (url === undefined || url === '') {
    throw new CliError(
      'StackOutputMissing',
      `stack "${stack}" has no output ${REGISTRY_URL_OUTPUT} (deploy its waiter with a registry): pass --registry-url URL`,
    );
  }
  return checkedUrl(url, `output ${REGISTRY_URL_OUTPUT} of stack ${stack}`);
}

function checkedUrl(url: string, source: string): RegistryLocation {
  const region = FUNCTION_URL.exec(url)?.[1];
  if (region === undefined && !LOOPBACK_URL.test(url)) {
    throw new UsageError(
      `${source}: expected a Lambda function URL (https://<id>.lambda-url.<region>.on.aws/) or http://127.0.0.1:<port>/, got "${url}"`,
    );
  }
  return { url: url.endsWith('/') ? url : `${url}/`, ...(region === undefined ? {} : { region }) };
}

/** A client signing with the credentials the SDK's chain gives the account commands' clients. */
export async function registryClientFor(
  clients: AwsClients,
  location: RegistryLocation,
): Promise<RegistryClient> {
  const region = location.region ?? (await clients.sfn.config.region());
  return new RegistryClient(location.url, clients.sfn.config.credentials, region);
}

/** The API's answer, or a CliError with its name and message (exit 1: the call was made and refused). */
export async function registryCall<T>(
  client: RegistryClient,
  call: Parameters<RegistryClient['call']>[0],
): Promise<T> {
  const answer = await client.call(call);
  if (answer.status >= 200 && answer.status < 300) {
    if (typeof answer.body !== 'object' || answer.body === null) {
      throw new CliError(
        'RegistryError',
        `registry: expected a JSON object, got ${JSON.stringify(answer.body)}`,
        1,
      );
    }
    return answer.body as T;
  }
  const body = answer.body as { error?: unknown; message?: unknown; Message?: unknown };
  const name =
    typeof body.error === 'string' ? body.error : answer.status === 403 ? 'Forbidden' : 'RegistryError';
  const message =
    typeof body.message === 'string'
      ? body.message
      : answer.status === 403
        ? 'the registry API refused the request: the caller needs lambda:InvokeFunctionUrl and lambda:InvokeFunction on it (Registry.grantUse)'
        : `the registry API answered ${answer.status}`;
  throw new CliError(`Registry${name}`, `registry: ${message}`, 1);
}

export function parseTethysStatus(value: string | undefined): TethysStatus | undefined {
  if (value === undefined) return undefined;
  const status = TETHYS_STATUSES.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
  if (status === undefined) {
    throw new UsageError(
      `--status: with --mine or --all, expected ${TETHYS_STATUSES.join(' | ')}, got "${value}"`,
    );
  }
  return status;
}

/** A wait as the registry API lists it (lambdas/registry/api.ts publicWait), the fields the CLI shows. */
export interface RegistryWait {
  waitId: string;
  name: string;
  status: string;
  tethysStatus: string;
  system?: string;
  jobIds?: string[];
  createdAt: string;
  completedAt?: string;
  /** `display` is `unverified` for a wait started outside the registry; admins get its `hint`. */
  owner: { display: string; verified: boolean; hint?: string };
}

/** Up to `max` of the caller's waits (every owner's with `all`), newest first, following the API's cursors. */
export async function listRegistryWaits(
  client: RegistryClient,
  options: { all: boolean; status?: TethysStatus; max: number },
): Promise<RegistryWait[]> {
  const waits: RegistryWait[] = [];
  let cursor: string | undefined;
  do {
    const page = await registryCall<{ waits: RegistryWait[]; cursor?: string }>(client, {
      method: 'GET',
      path: '/waits',
      query: {
        limit: String(Math.min(100, options.max - waits.length)),
        ...(options.all ? { all: 'true' } : {}),
        ...(options.status === undefined ? {} : { status: options.status }),
        ...(cursor === undefined ? {} : { cursor }),
      },
    });
    if (!Array.isArray(page.waits)) throw new CliError('RegistryError', 'registry: a list without waits', 1);
    waits.push(...page.waits);
    cursor = page.cursor;
  } while (cursor !== undefined && waits.length < options.max);
  return waits.slice(0, options.max);
}

/** NAME, STATUS (Tethys' words), STEPWAIT (stepwait's), JOBS, CREATED, and OWNER for `--all`. */
export function formatRegistryTable(waits: readonly RegistryWait[], withOwner: boolean): string {
  const header = ['WAIT', 'NAME', 'STATUS', 'STEPWAIT', 'JOBS', 'CREATED', ...(withOwner ? ['OWNER'] : [])];
  const body = waits.map((wait) => [
    wait.waitId,
    wait.name,
    wait.tethysStatus,
    wait.status,
    String(wait.jobIds?.length ?? 0),
    isoSeconds(wait.createdAt),
    ...(withOwner ? [wait.owner.display] : []),
  ]);
  return columns(header, body);
}
