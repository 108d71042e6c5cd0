import { WAIT_ID_PATTERN } from '../../../lambdas/wait-request';
import { UsageError } from '../usage-error';
import { type CommandContext, withClients } from './context';
import { isoSeconds, printJson, rows } from './io';
import { machineOptions, type ParsedArgs, stringOption } from './options';
import { type RegistryWait, registryCall, registryClientFor, resolveRegistryUrl } from './registry';
import type { RegistryClient } from './registry-client';

/**
 * `status`, `cancel`, `resubmit` and `start` through the registry API (`--registry` or `--registry-url`):
 * by wait id, for the caller's own waits (an admin's: anyone's), signed with the caller's credentials.
 */

/** The options that send a command through the registry. */
export const REGISTRY_OPTIONS = {
  registry: { type: 'boolean' },
  'registry-url': { type: 'string' },
} as const;

export const REGISTRY_OPTIONS_USAGE = `  --registry                through the registry of waits (its API, signed with your credentials)
  --registry-url <url>      the registry API (implies --registry; default: the stack's output RegistryUrl)`;

export const viaRegistry = (parsed: ParsedArgs): boolean =>
  parsed.values.registry === true || parsed.values['registry-url'] !== undefined;

/** Runs `body` with a registry client for the URL the options (or the stack's output) name. */
export async function withRegistry<T>(
  parsed: ParsedArgs,
  context: CommandContext,
  body: (client: RegistryClient) => Promise<T>,
): Promise<T> {
  if (stringOption(parsed, 'state-machine-arn') !== undefined) {
    throw new UsageError('--state-machine-arn: not with --registry (the registry knows each wait’s waiter)');
  }
  const machine = machineOptions(parsed);
  const registryUrl = stringOption(parsed, 'registry-url');
  return withClients(context, machine.region, async (clients) => {
    const location = await resolveRegistryUrl(clients, {
      ...(registryUrl === undefined ? {} : { registryUrl }),
      ...(machine.stack === undefined ? {} : { stack: machine.stack }),
    });
    return body(await registryClientFor(clients, location));
  });
}

/** The positional WAIT, checked: a registry wait id. */
export function waitIdOf(parsed: ParsedArgs): string {
  const waitId = parsed.positionals[0];
  if (waitId === undefined) throw new UsageError('WAIT is missing: give the wait id the registry shows');
  if (!WAIT_ID_PATTERN.test(waitId)) {
    throw new UsageError(
      `WAIT: with --registry, expected a wait id (a UUID, as stepwait list --mine shows), got "${waitId}"`,
    );
  }
  return waitId;
}

/** A wait as the registry API answers it: the fields `status` shows beyond the list's. */
export interface RegistryWaitDetail extends RegistryWait {
  description?: string;
  stage?: string;
  jobs?: { jobId: string; status?: string; statusReason?: string }[];
  executionArns: string[];
  callbackUrl?: string;
  endReason?: string;
  actions: string[];
}

export function formatWait(wait: RegistryWaitDetail): string {
  return rows([
    ['wait', wait.waitId],
    ['name', wait.name],
    ...(wait.description === undefined ? [] : ([['description', wait.description]] as [string, string][])),
    ['status', `${wait.tethysStatus} (${wait.status})`],
    ...(wait.stage === undefined ? [] : ([['stage', wait.stage]] as [string, string][])),
    ...(wait.jobs ?? []).map((job): [string, string] => [
      'job',
      `${job.jobId} ${job.status ?? 'not seen yet'}${job.statusReason ? `: ${job.statusReason}` : ''}`,
    ]),
    ['created', isoSeconds(wait.createdAt)],
    ...(wait.completedAt === undefined
      ? []
      : ([['completed', isoSeconds(wait.completedAt)]] as [string, string][])),
    ...(wait.endReason === undefined ? [] : ([['why', wait.endReason]] as [string, string][])),
    ['owner', `${wait.owner.display}${wait.owner.hint ? ` (${wait.owner.hint})` : ''}`],
    ...(wait.callbackUrl === undefined ? [] : ([['callback URL', wait.callbackUrl]] as [string, string][])),
    ...wait.executionArns.map((arn): [string, string] => ['execution', arn]),
    ['actions', wait.actions.length === 0 ? '-' : wait.actions.join(', ')],
  ]);
}

/** `stepwait status WAIT --registry`. */
export async function registryStatus(parsed: ParsedArgs, context: CommandContext): Promise<number> {
  const waitId = waitIdOf(parsed);
  const { wait } = await withRegistry(parsed, context, (client) =>
    registryCall<{ wait: RegistryWaitDetail }>(client, { method: 'GET', path: `/waits/${waitId}` }),
  );
  if (parsed.values.json) printJson(context.output, { wait });
  else context.output.out(`${formatWait(wait)}\n`);
  return 0;
}

/** `stepwait cancel WAIT --registry`: stops its executions and terminates only the jobs it submitted itself. */
export async function registryCancel(parsed: ParsedArgs, context: CommandContext): Promise<number> {
  const waitId = waitIdOf(parsed);
  if (parsed.values['terminate-job'] || parsed.values.reason !== undefined) {
    throw new UsageError(
      '--terminate-job, --reason: not with --registry (it terminates exactly the jobs the wait submitted, and records who cancelled)',
    );
  }
  const answer = await withRegistry(parsed, context, (client) =>
    registryCall<{ wait: RegistryWaitDetail; terminatedJobIds: string[]; terminateFailures?: string[] }>(
      client,
      {
        method: 'POST',
        path: `/waits/${waitId}/cancel`,
      },
    ),
  );
  if (parsed.values.json) printJson(context.output, answer);
  else {
    context.output.out(
      `${rows([
        ['cancelled', waitId],
        ['status', `${answer.wait.tethysStatus} (${answer.wait.status})`],
        [
          'terminated',
          answer.terminatedJobIds.length === 0
            ? 'none (the wait submitted no job)'
            : answer.terminatedJobIds.join(', '),
        ],
        ...(answer.terminateFailures ?? []).map((failure): [string, string] => ['not terminated', failure]),
      ])}\n`,
    );
  }
  return answer.terminateFailures?.length ? 1 : 0;
}

/** `stepwait resubmit WAIT`: a finished submit-and-wait again, under a new business key the API derives. */
export async function registryResubmit(parsed: ParsedArgs, context: CommandContext): Promise<number> {
  const waitId = waitIdOf(parsed);
  const { wait } = await withRegistry(parsed, context, (client) =>
    registryCall<{ wait: RegistryWaitDetail }>(client, { method: 'POST', path: `/waits/${waitId}/resubmit` }),
  );
  if (parsed.values.json) printJson(context.output, { resubmittedFrom: waitId, wait });
  else context.output.out(`resubmitted ${waitId} as:\n${formatWait(wait)}\n`);
  return 0;
}

/** `stepwait start --registry`: the registry starts the wait and records you as its owner. */
export async function registryStart(
  parsed: ParsedArgs,
  input: Record<string, unknown>,
  defaultName: string,
  context: CommandContext,
): Promise<number> {
  const name = stringOption(parsed, 'name') ?? defaultName;
  const description = stringOption(parsed, 'description');
  const waiter = stringOption(parsed, 'waiter');
  const properties: Record<string, string> = {};
  for (const pair of (parsed.values.property ?? []) as unknown as string[]) {
    const separator = pair.indexOf('=');
    if (separator < 1) throw new UsageError(`--property: expected name=value, got "${pair}"`);
    properties[pair.slice(0, separator)] = pair.slice(separator + 1);
  }
  const { wait } = await withRegistry(parsed, context, (client) =>
    registryCall<{ wait: RegistryWaitDetail }>(client, {
      method: 'POST',
      path: '/waits',
      body: {
        name,
        ...(description === undefined ? {} : { description }),
        ...(Object.keys(properties).length === 0 ? {} : { properties }),
        ...(waiter === undefined ? {} : { waiter }),
        input,
      },
    }),
  );
  if (parsed.values.json) printJson(context.output, { wait, input });
  else context.output.out(`${formatWait(wait)}\nFollow it with: stepwait status ${wait.waitId} --registry\n`);
  return 0;
}
