import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchClient, SubmitJobCommand, TerminateJobCommand } from '@aws-sdk/client-batch';
import { App, Stack } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { CfnStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { createPollHandler } from '../../lambdas/poll';
import { StepWaitStack, type StepWaitStackProps } from '../stepwait-stack';
import {
  type AslDefinition,
  type LocalExecutionResult,
  type LocalIntegration,
  type LocalLambda,
  type LocalRuntime,
  LocalStateMachine,
} from './local-state-machine';
import {
  type ChildExecution,
  type ChildMachine,
  type NestedExecutionOptions,
  nestedExecutionIntegrations,
} from './nested-executions';
import { type CfnTemplate, LOCAL_ACCOUNT, LOCAL_REGION, placeholderArn, stateMachinesIn } from './template';
import type { VirtualClock } from './virtual-clock';

/** The waiter's state machine as `cdk synth` makes it, read back from the template. */
export interface SynthesizedWaiter {
  template: CfnTemplate;
  definition: AslDefinition;
  /** Logical id of the poller function the Poll tasks invoke. */
  pollerLogicalId: string;
  /** The placeholder ARN a parent uses to start the waiter's machine. */
  stateMachineArn: string;
  /** The segment machine a long wait continues in, started by the main machine's `Hand Over` task. */
  segment: { definition: AslDefinition; stateMachineArn: string };
  /** The example pipeline (nested and inline waits), when the stack deploys the examples. */
  pipeline?: AslDefinition;
}

/**
 * Synthesizes the app's stack (bin/app.ts builds the same StepWaitStack) in process. Bundling is skipped:
 * locally the poller runs from source, so the Lambda asset is never used.
 */
export function synthesizeWaiter(props: StepWaitStackProps = {}): SynthesizedWaiter {
  // Synthesis takes seconds; the same props give the same template, so synthesize each once per process.
  const key = JSON.stringify(props);
  let synthesized = synthesizedByProps.get(key);
  if (synthesized === undefined) {
    synthesized = synthesize(props);
    synthesizedByProps.set(key, synthesized);
  }
  return synthesized;
}

const synthesizedByProps = new Map<string, SynthesizedWaiter>();

function synthesize(props: StepWaitStackProps): SynthesizedWaiter {
  const outdir = mkdtempSync(join(tmpdir(), 'stepwait-synth-'));
  try {
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new StepWaitStack(app, 'StepWaitStack', props);
    const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
    const machineId = Stack.of(stack).getLogicalId(
      stack.waiter.stateMachine.node.defaultChild as CfnStateMachine,
    );
    const pollerLogicalId = Stack.of(stack).getLogicalId(
      stack.waiter.pollerFunction.node.defaultChild as CfnFunction,
    );
    const machines = stateMachinesIn(template);
    const machine = machines.find((candidate) => candidate.logicalId === machineId);
    if (machine === undefined) throw new Error(`state machine ${machineId} not found in the template`);
    const pipelineId =
      stack.pipeline &&
      Stack.of(stack).getLogicalId(stack.pipeline.stateMachine.node.defaultChild as CfnStateMachine);
    const pipeline = machines.find((candidate) => candidate.logicalId === pipelineId)?.definition;
    const segmentId = Stack.of(stack).getLogicalId(
      stack.waiter.segmentStateMachine.node.defaultChild as CfnStateMachine,
    );
    const segment = machines.find((candidate) => candidate.logicalId === segmentId);
    if (segment === undefined)
      throw new Error(`segment state machine ${segmentId} not found in the template`);
    return {
      template,
      definition: machine.definition,
      pollerLogicalId,
      stateMachineArn: placeholderArn(template, machineId),
      segment: { definition: segment.definition, stateMachineArn: placeholderArn(template, segmentId) },
      ...(pipeline ? { pipeline } : {}),
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** A Batch client for local runs: the emulator's loopback endpoint, a static region and dummy credentials. */
export function localBatchClient(endpoint: string): BatchClient {
  return new BatchClient({
    region: LOCAL_REGION,
    endpoint,
    credentials: { accessKeyId: 'AKIDLOCALONLY', secretAccessKey: 'local-only-secret' },
    maxAttempts: 1,
  });
}

export interface LocalWaiterOptions {
  synthesized: SynthesizedWaiter;
  /** Where the poller's Batch client goes (the local emulator). */
  batchEndpoint: string;
  clock: VirtualClock;
  random?: () => number;
  /** The poller's log lines. */
  log?: (line: Record<string, unknown>) => void;
  /** Runs before each poller invocation; throw a named error here to inject a Lambda fault. */
  beforeInvoke?: (stateName: string) => void;
  /** Faults of the hand-overs' StartExecution calls, and segments to stop. */
  handOver?: NestedExecutionOptions;
  /** A new wait's id; default a random UUID (segment executions are named after it). */
  newWaitId?: () => string;
}

/**
 * The Step Functions Batch integrations the waiter uses, answered through the real SDK client (so by the
 * local emulator): `batch:submitJob` (request-response, PascalCase fields as Step Functions passes them) and
 * the AWS SDK integration `aws-sdk:batch:terminateJob`.
 */
export function batchIntegrations(batch: BatchClient): Record<string, LocalIntegration> {
  return {
    'arn:aws:states:::batch:submitJob': async (input) => {
      const { JobName, JobDefinition, JobQueue, Parameters } = input as Record<string, never>;
      const response = await asIntegration(
        batch.send(
          new SubmitJobCommand({
            jobName: JobName,
            jobDefinition: JobDefinition,
            jobQueue: JobQueue,
            parameters: Parameters,
          }),
        ),
      );
      return { JobArn: response.jobArn, JobId: response.jobId, JobName: response.jobName };
    },
    'arn:aws:states:::aws-sdk:batch:terminateJob': async (input) => {
      const { JobId, Reason } = input as Record<string, string>;
      await asIntegration(batch.send(new TerminateJobCommand({ jobId: JobId, reason: Reason })));
      return {};
    },
  };
}

/** The errors Batch models for its operations; anything else reaches Step Functions as the SDK's base exception. */
const MODELLED_BATCH_ERRORS = ['ClientException', 'ServerException'];

/**
 * A Batch call's failure as a Step Functions task reports it: named `Batch.<exception>` for what Batch
 * models (ClientException, ServerException), `Batch.AWSBatchException` for what it does not (throttling
 * with 429 TooManyRequestsException, access denial), `Batch.SdkClientException` when no HTTP answer came
 * back (a reset connection, a timeout); the Cause is the SDK's plain-text message, not JSON.
 */
async function asIntegration<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    const failure = error as Error & { $metadata?: { httpStatusCode?: number; requestId?: string } };
    const status = failure.$metadata?.httpStatusCode;
    if (status === undefined) {
      throw Object.assign(new Error(`Unable to execute HTTP request: ${failure.message}`), {
        name: 'Batch.SdkClientException',
      });
    }
    const name = MODELLED_BATCH_ERRORS.includes(failure.name) ? failure.name : 'AWSBatchException';
    const cause = `${failure.message} (Service: AWSBatch; Status Code: ${status}; Error Code: ${failure.name}; Request ID: ${failure.$metadata?.requestId ?? 'unknown'}; Proxy: null)`;
    throw Object.assign(new Error(cause), { name: `Batch.${name}` });
  }
}

let localRuns = 0;
const machines = new WeakMap<SynthesizedWaiter, LocalStateMachine>();
const segmentMachines = new WeakMap<SynthesizedWaiter, LocalStateMachine>();

function localSegmentMachineFor(synthesized: SynthesizedWaiter): LocalStateMachine {
  let machine = segmentMachines.get(synthesized);
  if (machine === undefined) {
    machine = new LocalStateMachine(synthesized.segment.definition);
    segmentMachines.set(synthesized, machine);
  }
  return machine;
}

/** The engine for a synthesized waiter, built (and validated) once however many waits run on it. */
export function localMachineFor(synthesized: SynthesizedWaiter): LocalStateMachine {
  let machine = machines.get(synthesized);
  if (machine === undefined) {
    machine = new LocalStateMachine(synthesized.definition);
    machines.set(synthesized, machine);
  }
  return machine;
}

/** A wait's result: the main execution's, and each segment execution it continued in, in order. */
export interface LocalWaitResult extends LocalExecutionResult {
  segments: ChildExecution[];
}

/**
 * The JobWaiter state machine running here: real ASL, the shipped poller code, a virtual clock. Its
 * `Hand Over` task runs the segment machine's own ASL as a nested execution.
 */
export class LocalWaiter {
  readonly machine: LocalStateMachine;
  /** What its runs talk to: the clock, the poller in process, the Batch and nested-execution integrations. */
  readonly runtime: LocalRuntime;
  /** The segment machine hand-overs start; replace its `machine` to model a redeploy mid-wait. */
  readonly segment: ChildMachine;
  private segments: ChildExecution[] = [];
  private readonly stateMachineArn: string;

  constructor(options: LocalWaiterOptions) {
    const random = options.random ?? Math.random;
    const poll = createPollHandler({
      batch: localBatchClient(options.batchEndpoint),
      now: () => options.clock.now(),
      random,
      log: options.log ?? (() => {}),
      ...(options.newWaitId ? { newWaitId: options.newWaitId } : {}),
    });
    const poller: LocalLambda = async (payload, { stateName }) => {
      options.beforeInvoke?.(stateName);
      return poll(payload);
    };
    const { synthesized } = options;
    this.stateMachineArn = synthesized.stateMachineArn;
    this.machine = localMachineFor(synthesized);
    const integrations: Record<string, LocalIntegration> = batchIntegrations(
      localBatchClient(options.batchEndpoint),
    );
    this.runtime = {
      clock: options.clock,
      lambdas: { [synthesized.pollerLogicalId]: poller },
      integrations,
      random,
    };
    this.segment = { machine: localSegmentMachineFor(synthesized), runtime: this.runtime };
    Object.assign(
      integrations,
      nestedExecutionIntegrations(
        { [synthesized.segment.stateMachineArn]: this.segment },
        { push: (execution) => this.segments.push(execution) },
        options.handOver,
      ),
    );
  }

  async run(input: unknown): Promise<LocalWaitResult> {
    this.segments = [];
    // The context object the engine only has when given: Hand Over associates segments with this execution.
    const name = `local-${++localRuns}`;
    const machineName = this.stateMachineArn.split(':').pop();
    const context = {
      Execution: {
        Id: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${machineName}:${name}`,
        Name: name,
      },
    };
    const result = await this.machine.run(input, { ...this.runtime, context });
    return { ...result, segments: this.segments };
  }
}
