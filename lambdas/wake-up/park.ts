import type { SFNClient } from '@aws-sdk/client-sfn';
import {
  PARK_RECORD_GRACE_SECONDS,
  type ParkedOn,
  parkKeys,
  statusesNamedBy,
  type WaitState,
} from '../../waiters';
import { InvalidInputError } from '../invalid-input';
import type { JobSystemIO } from '../job-system-io';
import type { ParsedPollerConfig } from '../poller-config';
import { callbackParkRecord, type ParkRecord, type ParkStore } from './park-store';
import { wake } from './task-tokens';

/** What a park needs beside the system's I/O: the park records and a way to send its own token back. */
export interface WakeUpDependencies {
  store: ParkStore;
  sfn: SFNClient;
}

/** What a `<Stage> Park` invocation returns (the task ignores it; it is for the log and tests). */
export interface ParkResult {
  parked: string[];
  /** Set when the check after registering saw a job move, and the park woke itself. */
  woke?: 'recheck';
}

/**
 * One park: store the task token for every job the poll parked on, then check them once more, so a job
 * that moved between that poll and the registration (its event found no token) is not missed; if one
 * moved, send the token back at once. A failed store throws: the task retries, then falls back to its Wait.
 */
export async function park(
  state: WaitState,
  parsed: ParsedPollerConfig,
  taskToken: string,
  io: JobSystemIO,
  deps: WakeUpDependencies & { now: () => number; log: (line: Record<string, unknown>) => void },
): Promise<ParkResult> {
  const { parkedOn, parkSeconds, waitId } = state;
  if (parkedOn === undefined || parkSeconds === undefined || waitId === undefined) {
    throw InvalidInputError.expected(
      'state',
      'a state a poll parked (parkedOn, parkSeconds, waitId)',
      Object.keys(state),
    );
  }
  if (typeof taskToken !== 'string' || taskToken.length === 0) {
    throw InvalidInputError.expected('park.taskToken', 'the task token ($$.Task.Token)', taskToken);
  }
  const system = parsed.system.model.id;
  const nowMs = deps.now();
  const statusOf = new Map(state.jobs.map((job) => [job.jobId, job.status ?? '']));
  const stage = parsed.config.stages[parkedOn.stageIndex] as string;
  const wakeOn = statusesNamedBy(parsed.model, [stage], Object.keys(parsed.system.model.phases)) ?? [];
  const parkedAt = nowMs;
  const expiresAt = Math.ceil(nowMs / 1000) + parkSeconds + PARK_RECORD_GRACE_SECONDS;
  const { stageIndex } = parkedOn;
  const records: ParkRecord[] = parkKeys(system, waitId, parkedOn).map((key, index) => {
    const jobId = parkedOn.jobIds[index] as string;
    return {
      ...key,
      system,
      jobId,
      waitId,
      stageIndex,
      taskToken,
      parkedStatus: statusOf.get(jobId) ?? '',
      wakeOn,
      parkedAt,
      expiresAt,
    };
  });
  if (typeof state.callbackUrl === 'string') {
    records.push(callbackParkRecord({ waitId, stageIndex, taskToken, parkedAt, expiresAt }));
  }
  await deps.store.put(records);
  const moved = await movedSince(state, parsed, parkedOn, io);
  deps.log({
    waiter: parsed.config.name,
    event: 'parked',
    stage: parsed.config.stages[parkedOn.stageIndex],
    jobIds: parkedOn.jobIds,
    parkSeconds,
    ...(moved === undefined ? {} : { moved }),
  });
  if (moved === undefined) return { parked: parkedOn.jobIds };
  await wake(deps.sfn, taskToken, { wokenBy: 'recheck', jobId: moved });
  return { parked: parkedOn.jobIds, woke: 'recheck' };
}

/**
 * The first parked job whose status is not the one the poll saw, or that the status call could not show as
 * before (an error, a vanished job: the stage's poll reports it). Undefined when nothing moved, or when the
 * call was throttled or failed transiently: then events, the sweeper or the park's timeout wake the wait.
 */
async function movedSince(
  state: WaitState,
  parsed: ParsedPollerConfig,
  parkedOn: ParkedOn,
  io: JobSystemIO,
): Promise<string | undefined> {
  const { model, system, config } = parsed;
  const named = model.getWaiter(config.stages[parkedOn.stageIndex] as string).operation;
  const operation = system.model.operations.includes(named) ? named : (system.model.operations[0] as string);
  const result = await io.status(operation, parkedOn.jobIds);
  if ('kind' in result) return undefined;
  const interpretation = system.model.interpret(parkedOn.jobIds, state.seenJobIds, result, state.jobs);
  if (interpretation.kind !== 'outcome' || interpretation.jobs === undefined) return parkedOn.jobIds[0];
  const before = new Map(state.jobs.map((job) => [job.jobId, job.status]));
  const now = new Map(interpretation.jobs.map((job) => [job.jobId, job.status]));
  return parkedOn.jobIds.find((jobId) => now.get(jobId) !== before.get(jobId));
}
