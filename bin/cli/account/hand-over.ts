import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { isRecord, parseJson } from './outcome';
import { executionArnFor } from './state-machine';

/**
 * How a long wait continues in a fresh execution: the main execution's `Hand Over` Task runs the Step
 * Functions integration that starts an execution and waits for it. In the history its events carry
 * `resourceType` "states" and `resource` "startExecution.sync:2" (JobWaiter's: the child's output comes
 * back as JSON) or "startExecution.sync" (AWS Step Functions developer guide, "Start a new AWS Step
 * Functions state machine execution"; HistoryEvent in the AWS Step Functions API reference).
 */
const HAND_OVER_RESOURCE_TYPE = 'states';
const HAND_OVER_RESOURCES: ReadonlySet<string> = new Set(['startExecution.sync:2', 'startExecution.sync']);

/** The resource of any Task event: TaskScheduled, TaskStarted, TaskSubmitted, TaskSucceeded, TaskFailed, ... */
function taskResource(event: HistoryEvent): { resourceType?: string; resource?: string } | undefined {
  return (
    event.taskScheduledEventDetails ??
    event.taskStartedEventDetails ??
    event.taskSubmittedEventDetails ??
    event.taskSucceededEventDetails ??
    event.taskFailedEventDetails ??
    event.taskStartFailedEventDetails ??
    event.taskSubmitFailedEventDetails ??
    event.taskTimedOutEventDetails
  );
}

/** Whether the event belongs to a hand-over Task (any of its Task events). */
export function isHandOverEvent(event: HistoryEvent): boolean {
  const task = taskResource(event);
  return (
    task?.resourceType === HAND_OVER_RESOURCE_TYPE &&
    task.resource !== undefined &&
    HAND_OVER_RESOURCES.has(task.resource)
  );
}

/** What a hand-over's TaskScheduled says: the segment it is to start, and which hand-over it is. */
export interface ScheduledHandOver {
  /**
   * From the parameters' `StateMachineArn` and `Name` (`arn:...:stateMachine:M` + N ->
   * `arn:...:execution:M:N`); undefined when the definition names no execution (Step Functions then
   * makes up a name, known only from TaskSubmitted).
   */
  segmentArn?: string;
  /**
   * Which hand-over of the wait this is, 1 for the first: the poller's `segments` (executions the wait
   * has run in so far) in the state handed over (`Input: { handOver: <state> }`).
   */
  number?: number;
}

/** Reads a hand-over's TaskScheduled `parameters` (a JSON string holding StateMachineArn, Input, Name). */
export function scheduledHandOver(event: HistoryEvent): ScheduledHandOver {
  const parameters = parseJson(event.taskScheduledEventDetails?.parameters);
  if (!isRecord(parameters)) return {};
  const scheduled: ScheduledHandOver = {};
  const { StateMachineArn: machineArn, Name: name } = parameters;
  if (typeof machineArn === 'string' && machineArn.includes(':stateMachine:') && typeof name === 'string') {
    scheduled.segmentArn = executionArnFor(machineArn, name);
  }
  // StartExecution takes Input as a string; the ASL may give an object, which the history shows as is.
  const input = typeof parameters.Input === 'string' ? parseJson(parameters.Input) : parameters.Input;
  const segments = isRecord(input) && isRecord(input.handOver) ? input.handOver.segments : undefined;
  if (typeof segments === 'number' && Number.isInteger(segments) && segments >= 1)
    scheduled.number = segments;
  return scheduled;
}

/** The segment's ARN from a hand-over's TaskSubmitted: its output is StartExecution's response. */
export function submittedSegmentArn(event: HistoryEvent): string | undefined {
  const response = parseJson(event.taskSubmittedEventDetails?.output);
  return isRecord(response) && typeof response.ExecutionArn === 'string' && response.ExecutionArn !== ''
    ? response.ExecutionArn
    : undefined;
}
