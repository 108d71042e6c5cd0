import { randomUUID } from 'node:crypto';
import type { AslDefinition, LocalExecutionResult } from './local-state-machine';
import { isExecutionName, type StartedChild, statusOf } from './nested-executions';
import { executionArnOf, LOCAL_ACCOUNT, LOCAL_REGION } from './template';
import type { Clock } from './virtual-clock';

/**
 * The executions API of a local deployment's state machines, as Step Functions answers it (API Reference:
 * StartExecution, DescribeExecution, StopExecution, DescribeStateMachine, each with its "Errors"), so code
 * that calls Step Functions (the registry API) runs unchanged against it:
 * - StartExecution is idempotent for a running Standard execution: the same name and input return it; a
 *   different input, or a closed execution of that name, is ExecutionAlreadyExists (names stay taken for
 *   90 days). A name is 1-80 characters without whitespace, brackets, wildcards or `"#%\^|~`$&,;:/`.
 * - StopExecution ends a running execution ABORTED; an execution that has ended is left as it ended. Its
 *   `error` is at most 256 characters and its `cause` 32,768, else ValidationException.
 * - Each execution's start and end is a "Step Functions Execution Status Change" event (Step Functions
 *   User Guide, "Automating Step Functions event delivery with EventBridge"), handed to `publish`.
 */

/** A Step Functions API error: the endpoint sends `code` as `__type`, with HTTP 400. */
export class ExecutionsApiError extends Error {
  constructor(
    readonly code:
      | 'StateMachineDoesNotExist'
      | 'ExecutionDoesNotExist'
      | 'ExecutionAlreadyExists'
      | 'InvalidArn'
      | 'InvalidName'
      | 'InvalidExecutionInput'
      | 'ValidationException',
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

/** A state machine deployed here, and how to run one execution of it. */
export interface DeployedMachine {
  readonly stateMachineArn: string;
  readonly definition: AslDefinition;
  run(input: unknown, execution: { name: string; signal: AbortSignal }): Promise<LocalExecutionResult>;
}

/** StartExecution's `input` is at most 262,144 characters (API Reference, StartExecution). */
const MAX_INPUT = 262_144;
/** StopExecution's limits (API Reference, StopExecution: `error` 0-256, `cause` 0-32768 characters). */
const MAX_STOP_ERROR = 256;
const MAX_STOP_CAUSE = 32_768;
const STATE_MACHINE_ARN = /^arn:aws:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/;
const EXECUTION_ARN = /^arn:aws:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/;

type Status = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

interface Execution {
  readonly arn: string;
  readonly name: string;
  readonly stateMachineArn: string;
  readonly input: string;
  readonly startDate: number;
  readonly controller: AbortController;
  readonly ended: Promise<void>;
  status: Status;
  stopDate?: number;
  /** The first StopExecution's `error` and `cause`: what an execution it aborted reports. */
  stopped?: { error?: string; cause?: string };
  output?: string;
  error?: string;
  cause?: string;
}

/** The event Step Functions puts on the default bus when an execution's status changes. */
export interface ExecutionStatusChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'Step Functions Execution Status Change';
  source: 'aws.states';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: Status;
    startDate: number;
    stopDate: number | null;
    input: string;
    inputDetails: { included: true };
    output: string | null;
    outputDetails: { included: true } | null;
    error: string | null;
    cause: string | null;
  };
}

const seconds = (ms: number) => ms / 1000;

export class LocalExecutions {
  private readonly machines: ReadonlyMap<string, DeployedMachine>;
  private readonly executions = new Map<string, Execution>();
  /** When the machines were deployed: their creationDate. */
  private readonly deployedAt: number;

  constructor(
    machines: readonly DeployedMachine[],
    private readonly clock: Clock,
    private readonly publish: (event: ExecutionStatusChangeEvent) => void = () => {},
  ) {
    this.machines = new Map(machines.map((machine) => [machine.stateMachineArn, machine]));
    this.deployedAt = clock.now();
  }

  startExecution(request: Record<string, unknown>): { executionArn: string; startDate: number } {
    const machine = this.machine(request.stateMachineArn);
    const name = request.name ?? randomUUID();
    if (!isExecutionName(name))
      throw new ExecutionsApiError('InvalidName', `Invalid Name: '${String(name)}'`);
    const input = request.input ?? '{}';
    if (typeof input !== 'string') {
      throw new ExecutionsApiError(
        'InvalidExecutionInput',
        'Invalid State Machine Execution Input: not a string',
      );
    }
    if (input.length > MAX_INPUT) {
      throw new ExecutionsApiError(
        'ValidationException',
        `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${MAX_INPUT}`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch (error) {
      throw new ExecutionsApiError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: '${(error as Error).message}'`,
      );
    }
    const arn = executionArnOf(machine.stateMachineArn, name);
    const existing = this.executions.get(arn);
    if (existing !== undefined) {
      if (existing.status === 'RUNNING' && existing.input === input)
        return { executionArn: arn, startDate: seconds(existing.startDate) };
      throw new ExecutionsApiError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const controller = new AbortController();
    const startDate = this.clock.now();
    this.track(
      { arn, name, stateMachineArn: machine.stateMachineArn, input, startDate },
      controller,
      machine.run(parsed, { name, signal: controller.signal }),
    );
    return { executionArn: arn, startDate: seconds(startDate) };
  }

  /**
   * An execution a machine started itself (a segment, by Hand Over's `startExecution.sync:2`): described,
   * stopped and announced here like any other, so a cancel that stops every execution of a wait stops it.
   */
  adopt(child: StartedChild): void {
    const controller = new AbortController();
    controller.signal.addEventListener('abort', () => child.stop(), { once: true });
    this.track(
      {
        arn: child.executionArn,
        name: child.name,
        stateMachineArn: child.stateMachineArn,
        input: child.input,
        startDate: child.startDate,
      },
      controller,
      child.result,
    );
  }

  /** Keeps an execution from its start to its end, announcing both. */
  private track(
    identity: Pick<Execution, 'arn' | 'name' | 'stateMachineArn' | 'input' | 'startDate'>,
    controller: AbortController,
    run: Promise<LocalExecutionResult>,
  ): void {
    let settle: () => void = () => {};
    const execution: Execution = {
      ...identity,
      controller,
      ended: new Promise<void>((resolve) => {
        settle = resolve;
      }),
      status: 'RUNNING',
    };
    this.executions.set(identity.arn, execution);
    this.publishChange(execution);
    void run
      .then(
        (result) => this.end(execution, result),
        (error: unknown) =>
          this.end(execution, {
            status: 'FAILED',
            error: (error as Error).name,
            cause: (error as Error).message,
          }),
      )
      .finally(settle);
  }

  describeExecution(request: Record<string, unknown>): Record<string, unknown> {
    const execution = this.execution(request.executionArn);
    return {
      executionArn: execution.arn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: seconds(execution.startDate),
      ...(execution.stopDate === undefined ? {} : { stopDate: seconds(execution.stopDate) }),
      input: execution.input,
      inputDetails: { included: true },
      ...(execution.output === undefined
        ? {}
        : { output: execution.output, outputDetails: { included: true } }),
      ...(execution.error === undefined ? {} : { error: execution.error }),
      ...(execution.cause === undefined ? {} : { cause: execution.cause }),
      redriveCount: 0,
      // A running or succeeded execution cannot be redriven (API Reference, DescribeExecution).
      ...(execution.status === 'RUNNING' || execution.status === 'SUCCEEDED'
        ? {
            redriveStatus: 'NOT_REDRIVABLE',
            redriveStatusReason: `Execution is ${execution.status} and cannot be redriven`,
          }
        : { redriveStatus: 'REDRIVABLE' }),
    };
  }

  async stopExecution(request: Record<string, unknown>): Promise<{ stopDate: number }> {
    const execution = this.execution(request.executionArn);
    for (const [field, limit] of [
      ['error', MAX_STOP_ERROR],
      ['cause', MAX_STOP_CAUSE],
    ] as const) {
      const value = request[field];
      if (value !== undefined && (typeof value !== 'string' || value.length > limit)) {
        throw new ExecutionsApiError(
          'ValidationException',
          `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${limit}`,
        );
      }
    }
    // Its `error` and `cause` are what the execution reports if the stop ends it (not if it ended first, nor
    // for a second stop): the account CLI's `status` shows a cancel's reason from them.
    if (execution.status === 'RUNNING') {
      execution.stopped ??= {
        ...(typeof request.error === 'string' ? { error: request.error } : {}),
        ...(typeof request.cause === 'string' ? { cause: request.cause } : {}),
      };
      execution.controller.abort();
      await execution.ended;
    }
    return { stopDate: seconds(execution.stopDate ?? this.clock.now()) };
  }

  describeStateMachine(request: Record<string, unknown>): Record<string, unknown> {
    const machine = this.machine(request.stateMachineArn);
    return {
      stateMachineArn: machine.stateMachineArn,
      name: machine.stateMachineArn.split(':').pop(),
      status: 'ACTIVE',
      definition: JSON.stringify(machine.definition),
      roleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/stepwait-local`,
      type: 'STANDARD',
      creationDate: seconds(this.deployedAt),
    };
  }

  /** Executions of a machine (newest first), as ListExecutions would list them. */
  list(stateMachineArn?: string): { executionArn: string; name: string; status: Status }[] {
    return [...this.executions.values()]
      .filter((execution) => stateMachineArn === undefined || execution.stateMachineArn === stateMachineArn)
      .reverse()
      .map(({ arn, name, status }) => ({ executionArn: arn, name, status }));
  }

  /** Resolves once every execution started so far has ended. */
  async allEnded(): Promise<void> {
    await Promise.all([...this.executions.values()].map((execution) => execution.ended));
  }

  /** Stops every running execution (the deployment is going away) and waits for them to end. */
  async stopAll(): Promise<void> {
    const running = [...this.executions.values()].filter((execution) => execution.status === 'RUNNING');
    for (const execution of running) execution.controller.abort();
    await Promise.all(running.map((execution) => execution.ended));
  }

  private machine(arn: unknown): DeployedMachine {
    if (typeof arn !== 'string' || !STATE_MACHINE_ARN.test(arn))
      throw new ExecutionsApiError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    const machine = this.machines.get(arn);
    if (machine === undefined)
      throw new ExecutionsApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private execution(arn: unknown): Execution {
    if (typeof arn !== 'string' || !EXECUTION_ARN.test(arn))
      throw new ExecutionsApiError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    const execution = this.executions.get(arn);
    if (execution === undefined)
      throw new ExecutionsApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  private end(
    execution: Execution,
    result: Pick<LocalExecutionResult, 'status' | 'output' | 'error' | 'cause'>,
  ) {
    execution.status = statusOf(result);
    execution.stopDate = this.clock.now();
    if (execution.status === 'SUCCEEDED') execution.output = JSON.stringify(result.output ?? null);
    if (execution.status === 'FAILED') {
      execution.error = result.error;
      execution.cause = result.cause;
    }
    if (execution.status === 'ABORTED') {
      execution.error = execution.stopped?.error;
      execution.cause = execution.stopped?.cause;
    }
    this.publishChange(execution);
  }

  private publishChange(execution: Execution): void {
    const at = execution.stopDate ?? execution.startDate;
    this.publish({
      version: '0',
      id: randomUUID(),
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: LOCAL_ACCOUNT,
      time: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: LOCAL_REGION,
      resources: [execution.arn],
      detail: {
        executionArn: execution.arn,
        stateMachineArn: execution.stateMachineArn,
        name: execution.name,
        status: execution.status,
        startDate: execution.startDate,
        stopDate: execution.stopDate ?? null,
        input: execution.input,
        inputDetails: { included: true },
        output: execution.output ?? null,
        outputDetails: execution.output === undefined ? null : { included: true },
        error: execution.error ?? null,
        cause: execution.cause ?? null,
      },
    });
  }
}
