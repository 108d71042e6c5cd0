import { randomUUID } from 'node:crypto';
import { MAX_CAUSE_LENGTH } from '../../waiters';
import type {
  LocalExecutionResult,
  LocalIntegration,
  LocalLambda,
  LocalRuntime,
  LocalStateMachine,
} from './local-state-machine';
import { executionArnOf } from './template';

/** A state machine a parent may start, with what its runs talk to. Replace `machine` to model a redeploy. */
export interface ChildMachine {
  machine: LocalStateMachine;
  runtime: LocalRuntime;
}

/** One nested execution as it ran: its identity and its own result (events, history, output). */
export interface ChildExecution {
  executionArn: string;
  name: string;
  stateMachineArn: string;
  input: unknown;
  result: LocalExecutionResult;
}

export const START_EXECUTION_SYNC_2 = 'arn:aws:states:::states:startExecution.sync:2';
/** The AWS SDK integration a machine uses to look at an execution it started. */
export const DESCRIBE_EXECUTION = 'arn:aws:states:::aws-sdk:sfn:describeExecution';

/**
 * What may go wrong with one StartExecution call, as the Step Functions integration reports it:
 * - `executionLimitExceeded`: refused, nothing started (`StepFunctions.ExecutionLimitExceeded`).
 * - `throttled`: refused with HTTP 400 ThrottlingException, which Step Functions does not model for
 *   StartExecution (`StepFunctions.AWSStepFunctionsException`).
 * - `serviceError`: refused with a 500 (`StepFunctions.AWSStepFunctionsException`).
 * - `accessDenied`: the machine's role may not start it (AccessDeniedException, HTTP 400, unmodelled).
 * - `lostResponse`: the execution WAS started, but the answer never arrived (`StepFunctions.SdkClientException`);
 *   a retry soon after finds it running.
 * - `lostResponseAfterEnd`: the same, but the execution ended before the call was retried.
 */
export type StartExecutionFault =
  | 'executionLimitExceeded'
  | 'throttled'
  | 'serviceError'
  | 'accessDenied'
  | 'lostResponse'
  | 'lostResponseAfterEnd';

export interface NestedExecutionOptions {
  /** Faults for the next StartExecution calls, in order; each is used once. */
  readonly faults?: StartExecutionFault[];
  /** Asked at every StartExecution call once `faults` is used up: the fault for this call, or none. */
  readonly nextFault?: () => StartExecutionFault | undefined;
  /**
   * Stops a child (StopExecution: it ends ABORTED) once it has invoked Lambda this many times; called with
   * the child's name when it starts, undefined lets it run.
   */
  readonly stopAfterInvocations?: (name: string) => number | undefined;
  /** Told when a child is stopped (a child that ends before its limit is not). */
  readonly onStop?: (name: string) => void;
  /** Told of each child as it starts: a local deployment's executions API describes and stops it too. */
  readonly onStarted?: (child: StartedChild) => void;
}

/** A child execution as it starts: who it is, how to stop it (StopExecution), and its run. */
export interface StartedChild {
  readonly executionArn: string;
  readonly name: string;
  readonly stateMachineArn: string;
  /** Its input, as JSON. */
  readonly input: string;
  readonly startDate: number;
  readonly stop: () => void;
  readonly result: Promise<LocalExecutionResult>;
}

/**
 * The longest Cause Step Functions keeps on a failed task (TaskFailedEventDetails.cause): longer ones are
 * cut, so a child's DescribeExecution JSON holding a large input is no longer valid JSON in its parent.
 */
export const TASK_CAUSE_LIMIT = MAX_CAUSE_LENGTH;
/**
 * StartExecution's name rule (Step Functions API reference, StartExecution.name): 1-80 characters, none of
 * whitespace, brackets, wildcards, `" # % \ ^ | ~ ` $ & , ; : /`, nor control characters.
 */
const EXECUTION_NAME_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/u;

export function isExecutionName(name: unknown): name is string {
  if (typeof name !== 'string' || name.length < 1 || [...name].length > 80) return false;
  if (EXECUTION_NAME_FORBIDDEN.test(name)) return false;
  return ![...name].some((character) => {
    const code = character.codePointAt(0) ?? 0;
    return code < 0x20 || (code >= 0x7f && code <= 0x9f);
  });
}

/**
 * A Step Functions API error, the way a service integration reports it: the error named after the service
 * and the API's error code (unmodelled ones, throttling and access denial among them, as the SDK's base
 * `AWSStepFunctionsException`), and a plain-text Cause in the SDK's format, not JSON.
 */
function apiError(name: string, code: string, status: number, message: string): Error {
  const cause = `${message} (Service: AWSStepFunctions; Status Code: ${status}; Error Code: ${code}; Request ID: ${randomUUID()}; Proxy: null)`;
  return Object.assign(new Error(cause), { name: `StepFunctions.${name}` });
}

function refusal(fault: Exclude<StartExecutionFault, 'lostResponse' | 'lostResponseAfterEnd'>): Error {
  switch (fault) {
    case 'executionLimitExceeded':
      return apiError(
        'ExecutionLimitExceeded',
        'ExecutionLimitExceeded',
        400,
        'Maximum number of running executions exceeded',
      );
    case 'throttled':
      return apiError('AWSStepFunctionsException', 'ThrottlingException', 400, 'Rate exceeded');
    case 'serviceError':
      return apiError('AWSStepFunctionsException', 'InternalFailure', 500, 'Internal service error');
    case 'accessDenied':
      return apiError(
        'AWSStepFunctionsException',
        'AccessDeniedException',
        400,
        'User is not authorized to perform: states:StartExecution',
      );
  }
}

/** A StartExecution whose answer was lost on the way back (a reset connection): the SDK's client-side error. */
function lostResponse(): Error {
  return Object.assign(new Error('Unable to execute HTTP request: Connection reset'), {
    name: 'StepFunctions.SdkClientException',
  });
}

interface Started {
  readonly arn: string;
  readonly name: string;
  readonly stateMachineArn: string;
  readonly input: unknown;
  readonly inputJson: string;
  readonly startDate: number;
  stopDate?: number;
  /** The run, started on first use (so a lost response's retry attaches to it before it has gone far). */
  run?: Promise<LocalExecutionResult>;
  result?: LocalExecutionResult;
}

/** Step Functions' own status of an ended child (stepwait calls a Fail with StepWait.Timeout TIMED_OUT). */
export function statusOf(
  result: Pick<LocalExecutionResult, 'status' | 'error'>,
): 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' {
  if (result.status === 'SUCCEEDED' || result.status === 'ABORTED') return result.status;
  return result.error === 'States.Timeout' ? 'TIMED_OUT' : 'FAILED';
}

/**
 * An execution as DescribeExecution shows it, keys in the order Step Functions writes them into a failed
 * `.sync` task's Cause (alphabetical: `Cause` and `Error` first, `Input` before `Status`), as seen in real
 * causes. Only a FAILED execution has `Error` and `Cause`; `Input` and `Output` are JSON strings.
 */
function description(execution: Started): Record<string, unknown> {
  const { result } = execution;
  const status = result === undefined ? 'RUNNING' : statusOf(result);
  return {
    ...(status === 'FAILED' && result?.cause !== undefined ? { Cause: result.cause } : {}),
    ...(status === 'FAILED' && result?.error !== undefined ? { Error: result.error } : {}),
    ExecutionArn: execution.arn,
    Input: execution.inputJson,
    InputDetails: { Included: true },
    Name: execution.name,
    ...(status === 'SUCCEEDED'
      ? { Output: JSON.stringify(result?.output ?? null), OutputDetails: { Included: true } }
      : {}),
    RedriveCount: 0,
    ...(status === 'FAILED' || status === 'TIMED_OUT' || status === 'ABORTED'
      ? { RedriveStatus: 'REDRIVABLE' }
      : {}),
    StartDate: execution.startDate,
    StateMachineArn: execution.stateMachineArn,
    Status: status,
    ...(execution.stopDate === undefined ? {} : { StopDate: execution.stopDate }),
  };
}

/**
 * The Step Functions integrations a machine uses on the executions it starts, run here:
 * `states:startExecution.sync:2` runs the child's own synthesized ASL to its end, on the parent's clock,
 * with a context object carrying the child's execution id and name; `aws-sdk:sfn:describeExecution`
 * describes any execution started so far. As AWS documents them:
 * - The `.sync:2` response has the DescribeExecution shape, `Input` and `Output` parsed as JSON.
 * - A child that does not succeed fails the task with `States.TaskFailed` and its DescribeExecution JSON as
 *   the Cause, cut at 32,768 characters; only a FAILED child has `Error` and `Cause` in it (a TIMED_OUT or
 *   ABORTED one has none), and its status comes after its (possibly huge) input.
 * - API errors carry their real names and plain-text causes: an unknown machine
 *   (`StepFunctions.StateMachineDoesNotExist`), a bad name (`StepFunctions.InvalidName`), a name already
 *   used (`StepFunctions.ExecutionAlreadyExists`), an unknown execution
 *   (`Sfn.ExecutionDoesNotExistException`, the SDK integration's naming), and the injected faults.
 * - StartExecution is idempotent for a running Standard execution: the same name with the same input
 *   returns that execution, so the task attaches to it; a different input, or a closed execution, is
 *   ExecutionAlreadyExists (names stay taken for 90 days).
 */
export function nestedExecutionIntegrations(
  children: Record<string, ChildMachine>,
  executions: Pick<ChildExecution[], 'push'>,
  options: NestedExecutionOptions = {},
): Record<string, LocalIntegration> {
  const started = new Map<string, Started>();
  let unnamed = 0;

  const run = (
    execution: Started,
    child: ChildMachine,
    parent: AbortSignal | undefined,
  ): Promise<LocalExecutionResult> => {
    if (execution.run !== undefined) return execution.run;
    const controller = new AbortController();
    // A stopped parent stops the child its `.sync` task waits for, as Step Functions does (which is why the
    // task's role may StopExecution on it).
    const parentStopped = () => controller.abort();
    if (parent?.aborted) controller.abort();
    parent?.addEventListener('abort', parentStopped, { once: true });
    execution.run = (async () => {
      const limit = options.stopAfterInvocations?.(execution.name);
      const running = child.machine.run(execution.input, {
        ...child.runtime,
        lambdas:
          limit === undefined
            ? child.runtime.lambdas
            : stopping(child.runtime.lambdas, limit, () => {
                if (controller.signal.aborted) return;
                options.onStop?.(execution.name);
                controller.abort();
              }),
        signal: controller.signal,
        context: {
          Execution: {
            Id: execution.arn,
            Name: execution.name,
            Input: execution.input,
            StartTime: new Date(execution.startDate).toISOString(),
          },
        },
      });
      let result: LocalExecutionResult;
      try {
        result = await running;
      } finally {
        parent?.removeEventListener('abort', parentStopped);
      }
      execution.result = result;
      execution.stopDate = child.runtime.clock.now();
      executions.push({
        executionArn: execution.arn,
        name: execution.name,
        stateMachineArn: execution.stateMachineArn,
        input: execution.input,
        result,
      });
      return result;
    })();
    options.onStarted?.({
      executionArn: execution.arn,
      name: execution.name,
      stateMachineArn: execution.stateMachineArn,
      input: execution.inputJson,
      startDate: execution.startDate,
      stop: () => controller.abort(),
      result: execution.run,
    });
    return execution.run;
  };

  const startSync2: LocalIntegration = async (rawInput, { signal }) => {
    const { StateMachineArn, Input, Name } = rawInput as {
      StateMachineArn: string;
      Input?: unknown;
      Name?: string;
    };
    const fault = options.faults?.length ? options.faults.shift() : options.nextFault?.();
    if (fault !== undefined && fault !== 'lostResponse' && fault !== 'lostResponseAfterEnd')
      throw refusal(fault);
    const child = children[StateMachineArn];
    if (child === undefined) {
      throw apiError(
        'StateMachineDoesNotExist',
        'StateMachineDoesNotExist',
        400,
        `State Machine Does Not Exist: '${StateMachineArn}'`,
      );
    }
    const name = Name ?? `local-${++unnamed}`;
    if (!isExecutionName(name)) {
      throw apiError('InvalidName', 'InvalidName', 400, `Invalid Name: '${String(name)}'`);
    }
    const arn = executionArnOf(StateMachineArn, name);
    const input = typeof Input === 'string' ? JSON.parse(Input) : (Input ?? {});
    const inputJson = JSON.stringify(input);

    let execution = started.get(arn);
    if (execution !== undefined && (execution.result !== undefined || execution.inputJson !== inputJson)) {
      throw apiError(
        'ExecutionAlreadyExists',
        'ExecutionAlreadyExists',
        400,
        `Execution Already Exists: '${arn}'`,
      );
    }
    if (execution === undefined) {
      execution = {
        arn,
        name,
        stateMachineArn: StateMachineArn,
        input,
        inputJson,
        startDate: child.runtime.clock.now(),
      };
      started.set(arn, execution);
    }
    // The call did its work (started the execution, or found it running); only the answer is lost.
    // The parent waits for its child blocked, as for a Wait: in a fleet the clock moves while the child runs.
    const runToEnd = () => {
      const ended = run(execution as Started, child, signal);
      return child.runtime.fleet?.blockOn(ended) ?? ended;
    };
    if (fault === 'lostResponseAfterEnd') await runToEnd();
    if (fault === 'lostResponse' || fault === 'lostResponseAfterEnd') throw lostResponse();

    const result = await runToEnd();
    const described = description(execution);
    if (result.status === 'SUCCEEDED') {
      return { ...described, Input: input, Output: result.output };
    }
    throw Object.assign(new Error(JSON.stringify(described).slice(0, TASK_CAUSE_LIMIT)), {
      name: 'States.TaskFailed',
    });
  };

  const describe: LocalIntegration = async (rawInput) => {
    const { ExecutionArn } = rawInput as { ExecutionArn?: string };
    const execution = ExecutionArn === undefined ? undefined : started.get(ExecutionArn);
    if (execution === undefined) {
      throw Object.assign(new Error(`Execution Does Not Exist: '${ExecutionArn}'`), {
        name: 'Sfn.ExecutionDoesNotExistException',
      });
    }
    return description(execution);
  };

  return { [START_EXECUTION_SYNC_2]: startSync2, [DESCRIBE_EXECUTION]: describe };
}

/** The child's Lambdas, counted: past `limit` invocations the child is stopped, as a person would stop it. */
function stopping(
  lambdas: Record<string, LocalLambda>,
  limit: number,
  stop: () => void,
): Record<string, LocalLambda> {
  let invocations = 0;
  return Object.fromEntries(
    Object.entries(lambdas).map(([id, lambda]) => [
      id,
      async (payload: unknown, context: { stateName: string }) => {
        invocations++;
        if (invocations > limit) stop();
        return lambda(payload, context);
      },
    ]),
  );
}
