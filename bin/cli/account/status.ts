import { UsageError } from '../usage-error';
import { regionOfArn } from './clients';
import { type CommandContext, withClients } from './context';
import { printJson } from './io';
import { COMMON_OPTIONS, machineOptions, parseCommandArgs } from './options';
import { REGISTRY_OPTIONS, REGISTRY_OPTIONS_USAGE, registryStatus, viaRegistry } from './registry-commands';
import { buildReport, formatReport } from './report';
import { findExecution } from './state-machine';

export const STATUS_USAGE = `Usage: stepwait status EXECUTION [options]

Shows one wait: its outcome (SUCCEEDED | FAILED | TIMED_OUT | RUNNING | ABORTED), the stage and attempt
it is in or ended in, its jobs' statuses, the time waited, and for a failure the error and its reason.
A long wait continues in fresh segment executions: then stage and jobs come from the newest segment,
which it names with the number of hand-overs (or, if that segment's history cannot be read, from this
execution's last poll, and it says so).

EXECUTION is an execution ARN, or an execution name in the state machine below; with --registry, the
wait id the registry of waits shows (its name, status in Tethys' words, stage, jobs, owner, executions).

Options:
${REGISTRY_OPTIONS_USAGE}
  --state-machine-arn <arn> the state machine (for an execution name)
  --stack <name>            else the stack whose output StateMachineArn names it (default StepWaitStack)
  --region <region>         default: the region of an ARN given, else AWS_REGION or your AWS profile's
  --json                    print exactly one JSON object on stdout
  -h, --help                show this help

Exit codes: 0 reported (whatever the outcome), 1 an AWS call failed, 2 bad options, no credentials or
region, or no such execution.`;

/** Runs `stepwait status`; returns the exit code. */
export async function statusCommand(args: string[], context: CommandContext): Promise<number> {
  const parsed = parseCommandArgs(args, { ...COMMON_OPTIONS, ...REGISTRY_OPTIONS }, 1);
  if (parsed.values.help) {
    context.output.out(`${STATUS_USAGE}\n`);
    return 0;
  }
  if (viaRegistry(parsed)) return registryStatus(parsed, context);
  const reference = parsed.positionals[0];
  if (reference === undefined) throw new UsageError('EXECUTION is missing: give an execution ARN or name');
  const machine = machineOptions(parsed);
  const region = machine.region ?? regionOfArn(reference) ?? regionOfArn(machine.stateMachineArn);
  const report = await withClients(context, region, async (clients) => {
    const { described } = await findExecution(clients, reference, machine);
    return buildReport(clients.sfn, described, context.now());
  });
  if (parsed.values.json) printJson(context.output, report);
  else context.output.out(`${formatReport(report)}\n`);
  return 0;
}
