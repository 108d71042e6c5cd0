import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { UsageError } from '../usage-error';
import type { AwsClients } from './clients';
import { CliError, hasErrorName } from './errors';
import type { MachineOptions } from './options';

/** The stack `npm run deploy` creates (bin/app.ts), and its output naming the state machine. */
export const DEFAULT_STACK = 'StepWaitStack';
export const STATE_MACHINE_OUTPUT = 'StateMachineArn';

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^\s:]+$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:(execution|express):[^\s:]+:[^\s:]+$/;

/** The state machine's ARN and, for messages, where it came from. */
export interface ResolvedMachine {
  arn: string;
  source: string;
}

async function regionName(clients: AwsClients): Promise<string> {
  try {
    return await clients.cloudFormation.config.region();
  } catch {
    return 'the configured region';
  }
}

/**
 * `--state-machine-arn` as given (checked for shape), else the `StateMachineArn` output of the stack
 * (`--stack`, default StepWaitStack) read with DescribeStacks. A missing stack or output is a CliError
 * naming what was looked up.
 */
export async function resolveStateMachine(
  clients: AwsClients,
  options: MachineOptions,
): Promise<ResolvedMachine> {
  if (options.stateMachineArn !== undefined) {
    if (!STATE_MACHINE_ARN.test(options.stateMachineArn)) {
      throw new UsageError(
        `--state-machine-arn: expected arn:aws:states:<region>:<account>:stateMachine:<name>, got "${options.stateMachineArn}"`,
      );
    }
    return { arn: options.stateMachineArn, source: '--state-machine-arn' };
  }
  const stack = options.stack ?? DEFAULT_STACK;
  const outputs = await stackOutputs(clients, stack);
  const arn = outputs.find((output) => output.OutputKey === STATE_MACHINE_OUTPUT)?.OutputValue;
  if (arn === undefined || arn === '') {
    const keys = outputs.map((output) => output.OutputKey).filter((key) => key !== undefined);
    throw new CliError(
      'StackOutputMissing',
      `stack "${stack}" has no output ${STATE_MACHINE_OUTPUT} (its outputs: ${keys.length > 0 ? keys.join(', ') : 'none'}): pass --state-machine-arn ARN`,
    );
  }
  return { arn, source: `output ${STATE_MACHINE_OUTPUT} of stack ${stack}` };
}

/** A stack's outputs (DescribeStacks). @throws CliError StackNotFound naming the stack and region */
export async function stackOutputs(
  clients: AwsClients,
  stack: string,
): Promise<{ OutputKey?: string; OutputValue?: string }[]> {
  try {
    const { Stacks } = await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: stack }));
    return Stacks?.[0]?.Outputs ?? [];
  } catch (error) {
    // CloudFormation answers an unknown stack with ValidationError "Stack with id X does not exist".
    if (hasErrorName(error, 'ValidationError') && /does not exist/i.test((error as Error).message)) {
      throw new CliError(
        'StackNotFound',
        `stack "${stack}" not found in ${await regionName(clients)} (looked up with DescribeStacks): deploy it with "npm run deploy", or pass --stack NAME, --region or --state-machine-arn ARN`,
      );
    }
    throw error;
  }
}

/** The StateMachineDoesNotExist of a call made with a resolved ARN, said with where the ARN came from. */
export function machineNotFound(machine: ResolvedMachine): CliError {
  return new CliError(
    'StateMachineNotFound',
    `state machine not found: ${machine.arn} (from ${machine.source})`,
  );
}

export function isExecutionArn(reference: string): boolean {
  return reference.startsWith('arn:');
}

/** An execution's ARN from its state machine's ARN and its name (the format AWS documents). */
export function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/** An execution found by ARN or by name, with what DescribeExecution returned for it. */
export interface FoundExecution {
  executionArn: string;
  described: DescribeExecutionCommandOutput;
}

/**
 * EXECUTION is an execution ARN, or a name looked up in the state machine (`--state-machine-arn`, else the
 * stack output). Either way DescribeExecution confirms it exists; if not, a CliError names what was tried.
 */
export async function findExecution(
  clients: AwsClients,
  reference: string,
  options: MachineOptions,
): Promise<FoundExecution> {
  let executionArn: string;
  let lookedUp: string;
  if (isExecutionArn(reference)) {
    if (!EXECUTION_ARN.test(reference)) {
      throw new UsageError(
        `EXECUTION: expected an execution name or arn:aws:states:<region>:<account>:execution:<machine>:<name>, got "${reference}"`,
      );
    }
    executionArn = reference;
    lookedUp = reference;
  } else {
    const machine = await resolveStateMachine(clients, options);
    executionArn = executionArnFor(machine.arn, reference);
    lookedUp = `"${reference}" in ${machine.arn} (from ${machine.source}), i.e. ${executionArn}`;
  }
  try {
    const described = await clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
    return { executionArn, described };
  } catch (error) {
    if (hasErrorName(error, 'ExecutionDoesNotExist')) {
      throw new CliError('ExecutionNotFound', `execution not found: ${lookedUp}`);
    }
    if (hasErrorName(error, 'InvalidArn')) {
      throw new CliError(
        'InvalidArn',
        `not a valid execution ARN: ${executionArn} (${(error as Error).message})`,
      );
    }
    throw error;
  }
}
