import type { WaitProgress } from '../waiters';
import { InvalidInputError } from './invalid-input';
import type { ParsedPollerConfig } from './poller-config';
import type { WaitRequest } from './wait-request';

/** The state a wait carries between polls: what a poll returns and the next poll receives. */
export interface WaitState extends WaitProgress {
  target: WaitRequest['target'];
  failOnTimeout: boolean;
  overrides: WaitRequest['overrides'];
  /**
   * Names this wait across every execution it runs in (a UUID, minted at its first poll). Segment executions
   * are named after it, so a retried StartExecution attaches to the segment it already started.
   */
  waitId?: string;
  /** With state `continue`: the name of the segment execution the wait goes on in (`<waitId>-<segment>`). */
  segmentExecutionName?: string;
  /**
   * In a segment: the hand-over contract of the machine that started it (HAND_OVER_CONTRACT). 2 and up: a
   * failed wait ends the segment normally with `{ error, cause }`, which that machine raises again; absent
   * (a machine deployed before contract 2): the segment fails, as that machine expects.
   */
  handOverVersion?: number;
  /** Submit-and-wait: what the machine's `Submit Job` task sends (JobName and Parameters). */
  submitRequest?: { jobName: string; parameters: Record<string, string> };
  /** Written by the `Submit Job` task (its ResultPath): the id travels in the state before any poll. */
  submitted?: { jobId: string };
  /** Written by the `Submit Job` task's Catch: how the SubmitJob call failed (Step Functions' error and cause). */
  submitError?: { Error?: unknown; Cause?: unknown };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A later poll's state must be one a poll produced; checks what the next poll relies on. */
export function checkCarriedState(state: WaitState, parsed: ParsedPollerConfig, prefix = 'state'): WaitState {
  const { stageIndex, deadline, jobIds, seenJobIds, target } = state;
  if (!Number.isInteger(stageIndex) || stageIndex < 0 || stageIndex >= parsed.config.stages.length) {
    throw InvalidInputError.expected(
      `${prefix}.stageIndex`,
      `a stage index below ${parsed.config.stages.length}`,
      stageIndex,
    );
  }
  if (typeof deadline !== 'string' || Number.isNaN(Date.parse(deadline))) {
    throw InvalidInputError.expected(`${prefix}.deadline`, 'an ISO 8601 time', deadline);
  }
  if (
    !Array.isArray(jobIds) ||
    !Array.isArray(seenJobIds) ||
    !isRecord(target) ||
    !isRecord(state.overrides) ||
    !Array.isArray(state.stages) ||
    !Array.isArray(state.jobs)
  ) {
    throw InvalidInputError.expected(prefix, 'the state a previous poll returned', Object.keys(state));
  }
  // Fields a version-1 state does not have yet.
  return { ...state, segmentPolls: state.segmentPolls ?? 0, segments: state.segments ?? 1 };
}
