import type { WaitState } from '../waiters';
import { isRecord } from '../waiters';
import { InvalidInputError } from './invalid-input';
import type { ParsedPollerConfig } from './poller-config';

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
