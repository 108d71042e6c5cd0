import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  type ExecutionStatus,
  ListExecutionsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { parseWholeNumber, UsageError } from '../usage-error';
import { regionOfArn } from './clients';
import { type CommandContext, withClients } from './context';
import { hasErrorName } from './errors';
import { columns, isoSeconds, printJson } from './io';
import { COMMON_OPTIONS, machineOptions, type ParsedArgs, parseCommandArgs, stringOption } from './options';
import { outcomeOf, WAIT_OUTCOMES, type WaitOutcome } from './outcome';
import { formatRegistryTable, listRegistryWaits, parseTethysStatus } from './registry';
import { REGISTRY_OPTIONS, viaRegistry, withRegistry } from './registry-commands';
import { machineNotFound, type ResolvedMachine, resolveStateMachine } from './state-machine';

export const LIST_USAGE = `Usage: stepwait list [options]

Lists the newest waits of the state machine: name, status, start and stop time.

Options:
  --mine                    your own waits, from the registry of waits (its API, signed with your
                            credentials): wait id, name, status in Tethys' words and stepwait's, jobs
  --all                     every owner's waits, from the registry (admins only)
  --registry-url <url>      the registry API (default: the stack's output RegistryUrl)
  --status <status>         RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED; with --mine or --all
                            Pending | Submitted | Running | Complete | Error | Aborted | Various |
                            Various-Complete | Other
  --max <n>                 at most this many (1-1000, default 20)
  --state-machine-arn <arn> the state machine
  --stack <name>            else the stack whose output StateMachineArn names it (default StepWaitStack)
  --region <region>         default: the region of --state-machine-arn, else AWS_REGION or your profile's
  --json                    print exactly one JSON object on stdout
  -h, --help                show this help

Statuses are stepwait's: TIMED_OUT covers executions that failed with StepWait.Timeout and ones that
ended normally with timedOut: true (--no-fail-on-timeout), besides Step Functions' own TIMED_OUT; FAILED
and SUCCEEDED leave those out. Telling them apart takes a DescribeExecution per FAILED or SUCCEEDED
execution.

Exit codes: 0 listed, 1 an AWS call failed, 2 bad options, no credentials or region, or no state machine.`;

const DEFAULT_MAX = 20;
const MAX_MAX = 1_000;
/**
 * Executions examined per Step Functions status at most. Filtering SUCCEEDED or FAILED by outcome drops
 * rows, so finding N matches may mean reading many more; this bounds the calls (each examined SUCCEEDED
 * or FAILED execution costs a DescribeExecution).
 */
export const SCAN_LIMIT = 1_000;
const DESCRIBE_CONCURRENCY = 10;

/**
 * The Step Functions statuses to list for each of stepwait's. A TIMED_OUT wait can be any of three
 * executions: the machine's backstop (TIMED_OUT), a Fail with StepWait.Timeout (FAILED), or a normal end
 * with `timedOut: true` (SUCCEEDED), so that filter reads all three lists and merges them by start time.
 */
export const STATUS_SOURCES: Record<WaitOutcome, ExecutionStatus[]> = {
  RUNNING: ['RUNNING'],
  SUCCEEDED: ['SUCCEEDED'],
  FAILED: ['FAILED'],
  TIMED_OUT: ['TIMED_OUT', 'FAILED', 'SUCCEEDED'],
  ABORTED: ['ABORTED'],
};

/** One row of `stepwait list`. */
export interface ListedExecution {
  name: string;
  executionArn: string;
  status: WaitOutcome;
  executionStatus: string;
  startDate: string | null;
  stopDate: string | null;
}

export interface ListOptions {
  status?: WaitOutcome;
  max: number;
}

/** Only SUCCEEDED and FAILED executions need their details to say which of stepwait's statuses they are. */
async function classify(sfn: SFNClient, item: ExecutionListItem): Promise<ListedExecution> {
  let status: WaitOutcome;
  if (item.status === 'SUCCEEDED' || item.status === 'FAILED') {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: item.executionArn }));
    status = outcomeOf(described);
  } else {
    status = outcomeOf({ status: item.status });
  }
  return {
    name: item.name ?? '',
    executionArn: item.executionArn ?? '',
    status,
    executionStatus: String(item.status),
    startDate: item.startDate?.toISOString() ?? null,
    stopDate: item.stopDate?.toISOString() ?? null,
  };
}

/** Up to `max` executions of one Step Functions status (all, if undefined) that match `wanted`, newest first. */
async function collect(
  sfn: SFNClient,
  stateMachineArn: string,
  source: ExecutionStatus | undefined,
  wanted: WaitOutcome | undefined,
  max: number,
): Promise<{ rows: ListedExecution[]; limited: boolean }> {
  const rows: ListedExecution[] = [];
  // Only SUCCEEDED and FAILED rows can be dropped by the filter; otherwise every row counts, so read `max`.
  const exact = wanted === undefined || (source !== 'SUCCEEDED' && source !== 'FAILED');
  let scanned = 0;
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn,
        statusFilter: source,
        maxResults: exact ? Math.min(max, MAX_MAX) : 100,
        nextToken,
      }),
    );
    const items = page.executions ?? [];
    for (let index = 0; index < items.length && rows.length < max; index += DESCRIBE_CONCURRENCY) {
      const chunk = items.slice(index, index + DESCRIBE_CONCURRENCY);
      scanned += chunk.length;
      const classified = await Promise.all(chunk.map((item) => classify(sfn, item)));
      rows.push(...classified.filter((row) => wanted === undefined || row.status === wanted));
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined && rows.length < max && scanned < SCAN_LIMIT);
  return { rows: rows.slice(0, max), limited: nextToken !== undefined && rows.length < max };
}

/** The newest `max` waits of the machine, in stepwait's statuses, optionally only those of one status. */
export async function listWaits(
  sfn: SFNClient,
  stateMachineArn: string,
  options: ListOptions,
): Promise<{ executions: ListedExecution[]; scanLimited: boolean }> {
  const sources = options.status === undefined ? [undefined] : STATUS_SOURCES[options.status];
  const results = [];
  for (const source of sources)
    results.push(await collect(sfn, stateMachineArn, source, options.status, options.max));
  const executions = results
    .flatMap((result) => result.rows)
    .sort((a, b) => (b.startDate ?? '').localeCompare(a.startDate ?? ''))
    .slice(0, options.max);
  return { executions, scanLimited: results.some((result) => result.limited) };
}

export function formatTable(executions: readonly ListedExecution[]): string {
  const header = ['NAME', 'STATUS', 'STARTED', 'STOPPED'];
  const body = executions.map((row) => [
    row.name,
    row.status,
    isoSeconds(row.startDate),
    isoSeconds(row.stopDate),
  ]);
  return columns(header, body);
}

function parseStatus(value: string | undefined): WaitOutcome | undefined {
  if (value === undefined) return undefined;
  const status = value.toUpperCase();
  if (!(WAIT_OUTCOMES as readonly string[]).includes(status)) {
    throw new UsageError(`--status: expected ${WAIT_OUTCOMES.join(' | ')}, got "${value}"`);
  }
  return status as WaitOutcome;
}

function parseMax(value: string | undefined): number {
  return value === undefined ? DEFAULT_MAX : parseWholeNumber(value, '--max', 1, MAX_MAX);
}

/** `stepwait list --mine | --all`: the waits the registry API shows the caller. */
async function listFromRegistry(parsed: ParsedArgs, context: CommandContext): Promise<number> {
  const all = parsed.values.all === true;
  if (all && parsed.values.mine) throw new UsageError('give --mine or --all, not both');
  if (!all && !parsed.values.mine)
    throw new UsageError('--registry, --registry-url: list with --mine or --all');
  const max = parseMax(stringOption(parsed, 'max'));
  const status = parseTethysStatus(stringOption(parsed, 'status'));
  const waits = await withRegistry(parsed, context, (client) =>
    listRegistryWaits(client, { all, max, ...(status === undefined ? {} : { status }) }),
  );
  const { output } = context;
  if (parsed.values.json) {
    printJson(output, { all, status: status ?? null, max, waits });
  } else if (waits.length === 0) {
    output.out(
      `no ${status ?? ''}${status ? ' ' : ''}waits ${all ? 'in the registry' : 'of yours in the registry'}\n`,
    );
  } else {
    output.out(`${formatRegistryTable(waits, all)}\n`);
  }
  return 0;
}

/** Runs `stepwait list`; returns the exit code. */
export async function listCommand(args: string[], context: CommandContext): Promise<number> {
  const parsed = parseCommandArgs(
    args,
    {
      ...COMMON_OPTIONS,
      status: { type: 'string' },
      max: { type: 'string' },
      mine: { type: 'boolean' },
      all: { type: 'boolean' },
      ...REGISTRY_OPTIONS,
    },
    0,
  );
  const { output } = context;
  if (parsed.values.help) {
    output.out(`${LIST_USAGE}\n`);
    return 0;
  }
  if (parsed.values.mine || parsed.values.all || viaRegistry(parsed)) {
    return listFromRegistry(parsed, context);
  }
  const options: ListOptions = { max: parseMax(stringOption(parsed, 'max')) };
  const status = parseStatus(stringOption(parsed, 'status'));
  if (status !== undefined) options.status = status;
  const machineOpts = machineOptions(parsed);
  const region = machineOpts.region ?? regionOfArn(machineOpts.stateMachineArn);
  const { machine, listed } = await withClients(context, region, async (clients) => {
    const resolved: ResolvedMachine = await resolveStateMachine(clients, machineOpts);
    try {
      return { machine: resolved, listed: await listWaits(clients.sfn, resolved.arn, options) };
    } catch (error) {
      if (hasErrorName(error, 'StateMachineDoesNotExist')) throw machineNotFound(resolved);
      throw error;
    }
  });
  if (parsed.values.json) {
    printJson(output, {
      stateMachineArn: machine.arn,
      status: options.status ?? null,
      max: options.max,
      executions: listed.executions,
      scanLimited: listed.scanLimited,
    });
    return 0;
  }
  if (listed.executions.length === 0) {
    output.out(`no ${options.status ?? ''}${options.status ? ' ' : ''}executions of ${machine.arn}\n`);
  } else {
    output.out(`${formatTable(listed.executions)}\n`);
  }
  if (listed.scanLimited) {
    output.err(
      `stepwait: looked at the newest ${SCAN_LIMIT} executions per Step Functions status only; older ${options.status} waits may exist\n`,
    );
  }
  return 0;
}
