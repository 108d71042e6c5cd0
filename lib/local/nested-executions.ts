import type {
  LocalExecutionResult,
  LocalIntegration,
  LocalRuntime,
  LocalStateMachine,
} from './local-state-machine';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './template';

/** A state machine a parent may start, with what its runs talk to. */
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

let executionCounter = 0;

/**
 * Answers `states:startExecution.sync:2` by running the child's own synthesized ASL to its end, on the
 * parent's clock, with a context object carrying the child's execution id and name. The response has the
 * DescribeExecution shape, `Output` parsed as JSON (the `:2` flavour). A child that does not succeed fails
 * the task with `States.TaskFailed` and the DescribeExecution JSON as Cause, holding the child's own
 * `Error` and `Cause`: the contract a parent sees in AWS.
 */
export function startExecutionSync2(
  children: Record<string, ChildMachine>,
  executions: Pick<ChildExecution[], 'push'>,
): LocalIntegration {
  return async (rawInput) => {
    const { StateMachineArn, Input, Name } = rawInput as {
      StateMachineArn: string;
      Input?: unknown;
      Name?: string;
    };
    const child = children[StateMachineArn];
    if (child === undefined) throw new Error(`no local state machine for ${StateMachineArn}`);
    const name = Name ?? `local-${++executionCounter}`;
    const machineName = StateMachineArn.split(':').pop();
    const executionArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${machineName}:${name}`;
    const input = typeof Input === 'string' ? JSON.parse(Input) : (Input ?? {});
    const startDate = new Date(child.runtime.clock.now()).toISOString();
    const result = await child.machine.run(input, {
      ...child.runtime,
      context: { Execution: { Id: executionArn, Name: name, Input: input, StartTime: startDate } },
    });
    executions.push({ executionArn, name, stateMachineArn: StateMachineArn, input, result });
    const description = {
      ExecutionArn: executionArn,
      Name: name,
      StateMachineArn,
      Input: JSON.stringify(input),
      StartDate: startDate,
      StopDate: new Date(child.runtime.clock.now()).toISOString(),
    };
    if (result.status === 'SUCCEEDED') return { ...description, Status: 'SUCCEEDED', Output: result.output };
    const status =
      result.status === 'ABORTED' ? 'ABORTED' : result.error === 'States.Timeout' ? 'TIMED_OUT' : 'FAILED';
    throw Object.assign(
      new Error(JSON.stringify({ ...description, Status: status, Error: result.error, Cause: result.cause })),
      { name: 'States.TaskFailed' },
    );
  };
}
