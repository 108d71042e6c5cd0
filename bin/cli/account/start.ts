import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { LONGEST_TIMEOUT_SECONDS, MAX_JOB_IDS } from '../../../lib/wait-input';
import { endedWaitExitCode } from '../../../lib/wait-outcome';
import { formatDuration, parseDurationSeconds, UsageError } from '../usage-error';
import { regionOfArn } from './clients';
import { type CommandContext, withClients } from './context';
import { CliError, hasErrorName } from './errors';
import { businessKeyOf, candidateNames, type WaitTarget } from './execution-name';
import { followExecution } from './follow';
import { isoSeconds, printJson, rows } from './io';
import {
  COMMON_OPTIONS,
  type MachineOptions,
  machineOptions,
  type ParsedArgs,
  parseCommandArgs,
  stringOption,
} from './options';
import { REGISTRY_OPTIONS, REGISTRY_OPTIONS_USAGE, registryStart, viaRegistry } from './registry-commands';
import { formatReport } from './report';
import { machineNotFound, type ResolvedMachine, resolveStateMachine } from './state-machine';

export const START_USAGE = `Usage: stepwait start (--job-id ID | --job-ids ID,ID,... | --job-name NAME --job-queue Q) [options]

Starts a wait in the deployed state machine. The execution is named after the business key (the job
name, or job-<id>); a name already taken (closed executions keep theirs for 90 days) gets the start time
appended.

Options:
  --job-id <id>             wait for one AWS Batch job
  --job-ids <id,id,...>     wait for 1 to 100 jobs
  --job-name <name>         wait for the job with this exact name (the business key) ...
  --job-queue <queue>       ... in this queue (name or ARN; a waiter that submits jobs has its own default)
  --parameter <name=value>  a SubmitJob parameter, for a waiter that submits jobs (repeat for more)
  --newest                  with --job-name: take the newest of several jobs so named
  --timeout <s>             the deadline, counted from the first poll (3600, 90m, 2h, 1d; 1s to 364d,
                            within the machine's maxTimeout; default the state machine's, 24h)
  --no-fail-on-timeout      end a passed deadline normally with timedOut: true
  --wait                    follow the wait until it ends (status line on stderr), then show its outcome
${REGISTRY_OPTIONS_USAGE}
                            (the registry starts it and records you as its owner; not with --wait)
  --name <text>             with --registry: the wait's name (default: the business key)
  --description <text>      with --registry: what it is for
  --property <name=value>   with --registry: a property to keep with it (repeat for more)
  --waiter <name>           with --registry: which waiter, where the registry serves several
  --state-machine-arn <arn> the state machine to start
  --stack <name>            else the stack whose output StateMachineArn names it (default StepWaitStack)
  --region <region>         default: the region of --state-machine-arn, else AWS_REGION or your profile's
  --json                    print exactly one JSON object on stdout
  -h, --help                show this help

Exit codes: 0 started (with --wait: the execution succeeded, which includes a passed deadline under
--no-fail-on-timeout, reported TIMED_OUT), 1 with --wait it FAILED, TIMED_OUT with StepWait.Timeout or
was ABORTED, or an AWS call failed; 2 bad options, no credentials or region, or no state machine.`;

/** The longest --timeout any stepwait machine takes: the construct's largest maxTimeout. */
export const MAX_TIMEOUT_SECONDS = LONGEST_TIMEOUT_SECONDS;

/** Names tried before giving up: the plain key, the key with the start time, then -2, -3 on that. */
const NAME_ATTEMPTS = 5;

export interface StartOptions {
  target: WaitTarget;
  timeoutSeconds?: number;
  failOnTimeout?: boolean;
  /** SubmitJob parameters, for a waiter that submits jobs. */
  parameters?: Record<string, string>;
  wait: boolean;
  machine: MachineOptions;
  json: boolean;
}

const START_OPTIONS = {
  ...COMMON_OPTIONS,
  'job-id': { type: 'string' },
  'job-ids': { type: 'string' },
  'job-name': { type: 'string' },
  'job-queue': { type: 'string' },
  parameter: { type: 'string', multiple: true },
  newest: { type: 'boolean' },
  timeout: { type: 'string' },
  'no-fail-on-timeout': { type: 'boolean' },
  wait: { type: 'boolean' },
  ...REGISTRY_OPTIONS,
  name: { type: 'string' },
  description: { type: 'string' },
  property: { type: 'string', multiple: true },
  waiter: { type: 'string' },
} as const;

function parseTarget(parsed: ParsedArgs): WaitTarget {
  const jobId = stringOption(parsed, 'job-id');
  const jobIds = stringOption(parsed, 'job-ids');
  const jobName = stringOption(parsed, 'job-name');
  const jobQueue = stringOption(parsed, 'job-queue');
  const given = [jobId, jobIds, jobName].filter((value) => value !== undefined);
  if (given.length !== 1) {
    throw new UsageError(
      `give exactly one of --job-id, --job-ids, or --job-name with --job-queue${given.length > 1 ? ' (got several)' : ''}`,
    );
  }
  if (jobName === undefined && jobQueue !== undefined)
    throw new UsageError('--job-queue goes with --job-name');
  if (jobName === undefined && parsed.values.newest) throw new UsageError('--newest goes with --job-name');
  if (jobId !== undefined) return { jobId };
  if (jobIds !== undefined) {
    const ids = jobIds.split(',').map((id) => id.trim());
    if (ids.some((id) => id === '')) {
      throw new UsageError(`--job-ids: expected job ids separated by commas, got "${jobIds}"`);
    }
    // The machine's own limit (DescribeJobs takes at most 100 jobs), so a refused list never starts.
    if (ids.length > MAX_JOB_IDS) {
      throw new UsageError(`--job-ids: at most ${MAX_JOB_IDS} job ids per wait, got ${ids.length}`);
    }
    return { jobIds: ids };
  }
  // Without --job-queue the machine uses its own (a waiter that submits jobs has one) or names the field.
  return {
    jobName: jobName as string,
    ...(jobQueue === undefined ? {} : { jobQueue }),
    newest: parsed.values.newest === true,
  };
}

export function parseStartOptions(args: string[]): StartOptions | 'help' {
  const parsed = parseCommandArgs(args, START_OPTIONS, 0);
  if (parsed.values.help) return 'help';
  const options: StartOptions = {
    target: parseTarget(parsed),
    wait: parsed.values.wait === true,
    machine: machineOptions(parsed),
    json: parsed.values.json === true,
  };
  const timeout = stringOption(parsed, 'timeout');
  if (timeout !== undefined)
    options.timeoutSeconds = parseDurationSeconds(timeout, '--timeout', 1, MAX_TIMEOUT_SECONDS);
  if (parsed.values['no-fail-on-timeout']) options.failOnTimeout = false;
  const parameters = (parsed.values.parameter ?? []) as string[];
  if (parameters.length > 0) options.parameters = parseParameters(parameters);
  return options;
}

/** `name=value` pairs into SubmitJob parameters. @throws UsageError naming the bad pair */
function parseParameters(pairs: readonly string[]): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const pair of pairs) {
    const separator = pair.indexOf('=');
    if (separator < 1) throw new UsageError(`--parameter: expected name=value, got "${pair}"`);
    parameters[pair.slice(0, separator)] = pair.slice(separator + 1);
  }
  return parameters;
}

/**
 * The execution input, as README "Input" defines it: exactly one of `jobId`, `jobIds`, or `jobName` with
 * `jobQueue` (and `newest: true` if asked), then `timeoutSeconds` and `failOnTimeout: false` if given.
 * Nothing else: the machine refuses unknown fields.
 */
export function waitInputFor(options: StartOptions): Record<string, unknown> {
  const { target } = options;
  const input: Record<string, unknown> =
    'jobName' in target
      ? {
          jobName: target.jobName,
          ...(target.jobQueue === undefined ? {} : { jobQueue: target.jobQueue }),
          ...(target.newest ? { newest: true } : {}),
        }
      : { ...target };
  if (options.timeoutSeconds !== undefined) input.timeoutSeconds = options.timeoutSeconds;
  if (options.failOnTimeout === false) input.failOnTimeout = false;
  if (options.parameters !== undefined) input.parameters = options.parameters;
  return input;
}

export interface StartedExecution {
  executionArn: string;
  name: string;
  startDate: Date | undefined;
}

/**
 * StartExecution under the business key's name, or the next candidate name while the name is taken.
 *
 * The name is not what prevents a duplicate job, and it cannot be: Step Functions refuses a closed
 * execution's name for 90 days (so tomorrow's run of `nightly-etl` needs a new one), and only treats a
 * repeated name as the same execution while that one runs with identical input (then StartExecution
 * returns the running execution instead of starting another). What prevents a duplicate job is the job
 * lookup inside the state machine: it finds the job by id, or by exact name in the queue with ListJobs
 * (and a machine that submits jobs, the `submit` prop, looks the name up before submitting and attaches
 * to the job it finds). So a second execution for the same key waits on the same job; a suffixed name
 * costs nothing but a second, harmless wait.
 */
export async function startWithUniqueName(
  sfn: SFNClient,
  machine: ResolvedMachine,
  businessKey: string,
  input: Record<string, unknown>,
  nowMs: number,
): Promise<StartedExecution> {
  const names = candidateNames(businessKey, nowMs, NAME_ATTEMPTS);
  for (const name of names) {
    try {
      const started = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: machine.arn, name, input: JSON.stringify(input) }),
      );
      return { executionArn: started.executionArn ?? '', name, startDate: started.startDate };
    } catch (error) {
      if (hasErrorName(error, 'ExecutionAlreadyExists')) continue;
      if (hasErrorName(error, 'StateMachineDoesNotExist')) throw machineNotFound(machine);
      throw error;
    }
  }
  throw new CliError(
    'ExecutionAlreadyExists',
    `every execution name tried is taken (${names.join(', ')}); try again in a second`,
    1,
  );
}

/** Runs `stepwait start`; returns the exit code. */
export async function startCommand(args: string[], context: CommandContext): Promise<number> {
  const options = parseStartOptions(args);
  const { output } = context;
  if (options === 'help') {
    output.out(`${START_USAGE}\n`);
    return 0;
  }
  const input = waitInputFor(options);
  const parsed = parseCommandArgs(args, START_OPTIONS, 0);
  const registryOnly = ['name', 'description', 'property', 'waiter'].filter(
    (name) => parsed.values[name] !== undefined,
  );
  if (viaRegistry(parsed)) {
    if (options.wait) {
      throw new UsageError(
        '--wait: not with --registry; follow the wait with stepwait status WAIT --registry',
      );
    }
    return registryStart(parsed, input, businessKeyOf(options.target), context);
  }
  if (registryOnly.length > 0) {
    throw new UsageError(`${registryOnly.map((name) => `--${name}`).join(', ')}: only with --registry`);
  }
  const region = options.machine.region ?? regionOfArn(options.machine.stateMachineArn);
  return withClients(context, region, async (clients) => {
    const machine = await resolveStateMachine(clients, options.machine);
    const started = await startWithUniqueName(
      clients.sfn,
      machine,
      businessKeyOf(options.target),
      input,
      context.now(),
    );
    const summary = {
      executionArn: started.executionArn,
      name: started.name,
      stateMachineArn: machine.arn,
      startDate: started.startDate?.toISOString() ?? null,
      input,
    };
    if (!options.wait) {
      if (options.json) printJson(output, summary);
      else {
        output.out(
          `${rows([
            ['started', started.name],
            ['input', JSON.stringify(input)],
            ['at', isoSeconds(started.startDate)],
            ['arn', started.executionArn],
          ])}\nFollow it with: stepwait status ${started.executionArn}\n`,
        );
      }
      return 0;
    }
    if (!options.json) {
      output.err(
        `started ${started.name}; following it (Ctrl-C stops following, the wait goes on; polls every ${formatDuration(context.pollIntervalMs / 1000)})\n`,
      );
    }
    const report = await followExecution(clients, started.executionArn, context, !options.json);
    if (options.json) printJson(output, { ...report, input });
    else output.out(`${formatReport(report)}\n`);
    return endedWaitExitCode(report.executionStatus);
  });
}
