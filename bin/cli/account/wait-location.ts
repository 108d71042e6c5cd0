import type { SFNClient } from '@aws-sdk/client-sfn';
import { isAwsError } from './errors';
import { isHandOverEvent, scheduledHandOver, submittedSegmentArn } from './hand-over';
import { HistoryNewestFirst } from './history';
import { latestPollState, type PollStateView, pollStateOfEvent } from './poll-state';

/** A segment execution: a fresh execution the wait was handed over to. */
export interface SegmentRef {
  name: string;
  executionArn: string;
}

/** Where a wait is, as its execution's history (and its newest segment's) tell. */
export interface WaitLocation {
  /** The newest poll state; undefined before the first poll or when none was within the pages read. */
  poll: PollStateView | undefined;
  /** Which history `poll` came from: the execution asked about, or its newest segment. */
  source: 'execution' | 'segment' | null;
  /** Hand-overs to segment executions so far (0: the wait runs in the execution asked about). */
  handOvers: number;
  /** The newest segment, once the wait has handed over and the history names it. */
  segment: SegmentRef | null;
  /**
   * Set when the wait has handed over but the newest segment's state could not be read: why (e.g. no
   * permission to read its history). `poll` is then the execution's own newest poll, an older state.
   */
  segmentNotRead: string | null;
}

/** The newest hand-over, from its Task's events read newest first back to its TaskScheduled. */
interface NewestHandOver {
  segmentArn?: string;
  number?: number;
}

function segmentRef(executionArn: string): SegmentRef {
  return { name: executionArn.split(':').pop() ?? executionArn, executionArn };
}

/**
 * Reads newest first until the newest poll state or the newest hand-over, whichever comes first (the
 * event id orders them); for a hand-over, on through its own events to its TaskScheduled.
 */
async function newestPollOrHandOver(
  history: HistoryNewestFirst,
): Promise<{ poll?: PollStateView; handOver?: NewestHandOver }> {
  let handOver: NewestHandOver | undefined;
  for (let event = await history.next(); event !== undefined; event = await history.next()) {
    const poll = pollStateOfEvent(event);
    // Older than the hand-over if one was met: then it is only the fallback.
    if (poll !== undefined) return handOver === undefined ? { poll } : { poll, handOver };
    if (!isHandOverEvent(event)) continue;
    handOver ??= {};
    // The Task's events, newest first: TaskSucceeded|TaskFailed, TaskSubmitted, TaskStarted, TaskScheduled.
    if (event.type === 'TaskSubmitted') handOver.segmentArn ??= submittedSegmentArn(event);
    if (event.type === 'TaskScheduled') {
      const scheduled = scheduledHandOver(event);
      handOver.segmentArn ??= scheduled.segmentArn;
      if (scheduled.number !== undefined) handOver.number = scheduled.number;
      break;
    }
  }
  return handOver === undefined ? {} : { handOver };
}

/** The rest of the history, newest first, up to its newest poll state. */
async function nextPollState(history: HistoryNewestFirst): Promise<PollStateView | undefined> {
  for (let event = await history.next(); event !== undefined; event = await history.next()) {
    const poll = pollStateOfEvent(event);
    if (poll !== undefined) return poll;
  }
  return undefined;
}

/** A segment's newest poll state, or why there is none to show. */
async function segmentPollState(
  sfn: SFNClient,
  segment: SegmentRef | null,
): Promise<{ poll: PollStateView } | { notRead: string }> {
  if (segment === null) {
    return {
      notRead:
        'the segment is being started: Step Functions has not reported its execution yet (no TaskSubmitted)',
    };
  }
  try {
    const poll = await latestPollState(sfn, segment.executionArn);
    if (poll !== undefined) return { poll };
    return { notRead: `no poll state in the newest events of segment ${segment.name}` };
  } catch (error) {
    // Bugs are thrown; an AWS answer (AccessDenied, ExecutionDoesNotExist, throttling) is reported.
    if (!isAwsError(error)) throw error;
    return { notRead: `cannot read the history of segment ${segment.name}: ${error.name}: ${error.message}` };
  }
}

/**
 * Where the wait of `executionArn` is. Its history is read newest first: if a hand-over (a
 * startExecution.sync Task) is newer than its newest poll state, the wait goes on in that hand-over's
 * segment, and the segment's own newest poll state is the wait's. Segments never hand over themselves
 * (the main execution starts every one of them), so this goes one level deep. If the segment cannot be
 * read, the execution's own newest poll stands in, and `segmentNotRead` says why.
 */
export async function readWaitLocation(sfn: SFNClient, executionArn: string): Promise<WaitLocation> {
  const history = new HistoryNewestFirst(sfn, executionArn);
  const found = await newestPollOrHandOver(history);
  const { handOver } = found;
  if (handOver === undefined) {
    const { poll } = found;
    return { poll, source: poll ? 'execution' : null, handOvers: 0, segment: null, segmentNotRead: null };
  }
  // The poller's own count, carried in the state handed over (1 if that input is not a stepwait state).
  const handOvers = handOver.number ?? 1;
  const segment = handOver.segmentArn === undefined ? null : segmentRef(handOver.segmentArn);
  const read = await segmentPollState(sfn, segment);
  if ('poll' in read) return { poll: read.poll, source: 'segment', handOvers, segment, segmentNotRead: null };

  // The execution's own newest poll, older than the hand-over.
  const own = found.poll ?? (await nextPollState(history));
  if (own !== undefined) {
    return { poll: own, source: 'execution', handOvers, segment, segmentNotRead: read.notRead };
  }
  return {
    poll: undefined,
    source: null,
    handOvers,
    segment,
    segmentNotRead: `${read.notRead}; and no poll of this execution in its newest ${history.eventsLookedAt} events`,
  };
}
