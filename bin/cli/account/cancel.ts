import { TerminateJobCommand } from '@aws-sdk/client-batch';
import {
  type DescribeExecutionCommandOutput,
  type SFNClient,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { UsageError } from '../usage-error';
import { regionOfArn } from './clients';
import { type CommandContext, withClients } from './context';
import { printJson, rows } from './io';
import { COMMON_OPTIONS, machineOptions, parseCommandArgs, stringOption } from './options';
import { isRecord, parseJson } from './outcome';
import { REGISTRY_OPTIONS, REGISTRY_OPTIONS_USAGE, registryCancel, viaRegistry } from './registry-commands';
import { findExecution } from './state-machine';
import { readWaitLocation, type WaitLocation } from './wait-location';

export const CANCEL_USAGE = `Usage: stepwait cancel EXECUTION [options]

Stops a running wait (StopExecution; it ends ABORTED with error StepWait.Cancelled and your reason as the
cause). With --terminate-job, also terminates its AWS Batch jobs (TerminateJob, with the reason).

EXECUTION is an execution ARN, or an execution name in the state machine below. With --registry it is the
wait id the registry of waits shows: the registry stops the wait's executions and terminates exactly the
jobs the wait submitted itself (never others'), and records who cancelled it.

Options:
${REGISTRY_OPTIONS_USAGE}
  --terminate-job           also terminate the jobs waited for (the input's jobId/jobIds, or the job a
                            --job-name wait found, in its newest segment after a hand-over)
  --reason <text>           why (default "cancelled with stepwait cancel")
  --state-machine-arn <arn> the state machine (for an execution name)
  --stack <name>            else the stack whose output StateMachineArn names it (default StepWaitStack)
  --region <region>         default: the region of an ARN given, else AWS_REGION or your profile's
  --json                    print exactly one JSON object on stdout
  -h, --help                show this help

Exit codes: 0 done, 1 an AWS call failed (e.g. a TerminateJob), 2 bad options, no credentials or region, or
no such execution.`;

/** The error a cancelled execution ends with, so `status` and the console tell it from other stops. */
export const CANCELLED_ERROR = 'StepWait.Cancelled';
export const DEFAULT_REASON = 'cancelled with stepwait cancel';
/** StopExecution's cause takes 32,768 characters; Batch's reason is shown in its console, keep it short. */
const MAX_REASON_LENGTH = 1_024;

/**
 * The jobs a wait is for: the input's `jobId`/`jobIds`; for a business-key wait, the `jobIds` the newest
 * poll resolved the name to, in the newest segment after a hand-over (none yet if no poll found the job).
 */
export async function jobIdsOfWait(
  sfn: SFNClient,
  executionArn: string,
  described: DescribeExecutionCommandOutput,
  /** Where the wait was when read just before the stop; read again if it knew no job yet. */
  before?: WaitLocation,
): Promise<string[]> {
  const input = parseJson(described.input);
  if (isRecord(input)) {
    if (typeof input.jobId === 'string') return [input.jobId];
    if (Array.isArray(input.jobIds)) return [...new Set(input.jobIds.filter((id) => typeof id === 'string'))];
  }
  if (before?.poll?.jobIds.length) return before.poll.jobIds;
  return (await readWaitLocation(sfn, executionArn)).poll?.jobIds ?? [];
}

/** Runs `stepwait cancel`; returns the exit code. */
export async function cancelCommand(args: string[], context: CommandContext): Promise<number> {
  const parsed = parseCommandArgs(
    args,
    {
      ...COMMON_OPTIONS,
      ...REGISTRY_OPTIONS,
      'terminate-job': { type: 'boolean' },
      reason: { type: 'string' },
    },
    1,
  );
  const { output } = context;
  if (parsed.values.help) {
    output.out(`${CANCEL_USAGE}\n`);
    return 0;
  }
  if (viaRegistry(parsed)) return registryCancel(parsed, context);
  const reference = parsed.positionals[0];
  if (reference === undefined) throw new UsageError('EXECUTION is missing: give an execution ARN or name');
  const reason = stringOption(parsed, 'reason') ?? DEFAULT_REASON;
  if (reason.length > MAX_REASON_LENGTH) {
    throw new UsageError(`--reason: at most ${MAX_REASON_LENGTH} characters, got ${reason.length}`);
  }
  const terminate = parsed.values['terminate-job'] === true;
  const machine = machineOptions(parsed);
  const region = machine.region ?? regionOfArn(reference) ?? regionOfArn(machine.stateMachineArn);

  const result = await withClients(context, region, async (clients) => {
    const { executionArn, described } = await findExecution(clients, reference, machine);
    let before: WaitLocation | undefined;
    if (terminate) {
      // TerminateJob is AWS Batch's: a wait on another system is refused before anything is stopped.
      before = await readWaitLocation(clients.sfn, executionArn);
      const system = before.poll?.system;
      if (system !== undefined && system !== 'batch') {
        throw new UsageError(
          `--terminate-job: this wait polls ${system} jobs, which stepwait cannot terminate from here (a waiter with cancelJobOnTimeout cancels them itself at its deadline); stop the wait without it`,
        );
      }
    }
    // Stop first, then terminate: a job terminated first could end the wait as FAILED (JobFailed) before
    // the stop, hiding that it was cancelled.
    const running = described.status === 'RUNNING' || described.status === 'PENDING_REDRIVE';
    if (running) {
      await clients.sfn.send(
        new StopExecutionCommand({
          executionArn,
          error: CANCELLED_ERROR,
          // JSON like stepwait's own causes, so `stepwait status` shows the reason.
          cause: JSON.stringify({ reason }),
        }),
      );
    }
    const terminated: string[] = [];
    const failed: { jobId: string; error: string }[] = [];
    let jobIds: string[] = [];
    if (terminate) {
      jobIds = await jobIdsOfWait(clients.sfn, executionArn, described, before);
      // One at a time: a handful of ids at most in practice, and each failure is reported by itself.
      for (const jobId of jobIds) {
        try {
          await clients.batch.send(new TerminateJobCommand({ jobId, reason }));
          terminated.push(jobId);
        } catch (error) {
          failed.push({ jobId, error: `${(error as Error).name}: ${(error as Error).message}` });
        }
      }
    }
    return {
      executionArn,
      name: described.name ?? reference,
      stopped: running,
      previousStatus: String(described.status),
      reason,
      jobIds,
      terminatedJobs: terminated,
      failedJobs: failed,
    };
  });

  const exitCode = result.failedJobs.length > 0 ? 1 : 0;
  if (parsed.values.json) {
    printJson(output, result);
    return exitCode;
  }
  const entries: [string, string][] = [
    ['execution', result.name],
    [
      'stopped',
      result.stopped
        ? `yes (${CANCELLED_ERROR}: ${reason})`
        : `no, it had already ended ${result.previousStatus}`,
    ],
  ];
  if (terminate) {
    entries.push([
      'terminated',
      result.jobIds.length === 0
        ? 'nothing: no job id known yet (the job name was not found by any poll)'
        : result.terminatedJobs.length > 0
          ? result.terminatedJobs.join(', ')
          : 'none',
    ]);
    for (const { jobId, error } of result.failedJobs) entries.push(['failed', `${jobId}: ${error}`]);
  }
  entries.push(['arn', result.executionArn]);
  output.out(`${rows(entries)}\n`);
  return exitCode;
}
