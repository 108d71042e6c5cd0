import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { InvalidInputError } from '../invalid-input';
import type { ParsedPollerConfig } from '../poller-config';
import { parseWaitRequest } from '../wait-request';
import { ApiRefusal, type ApiRequest, parseApiRequest, type StartBody } from './api-requests';
import { type Caller, callerOf } from './owner';
import { RegistryCursorError, type RegistryRecord, type RegistryStore } from './registry-store';

/**
 * The registry API (a Lambda function URL with AuthType AWS_IAM): start, list, get, cancel, resubmit and
 * delete waits, each for the caller's own waits only. A wait that is not the caller's answers 404, as one
 * that does not exist, so ids cannot be probed; an admin (its unique id in `adminIds`) sees and acts on all,
 * as Tethys' staff and `jobs_table_actions` do.
 *
 * Who may act is the registry's question; principals with direct Step Functions rights on the machines
 * (StartExecution, StopExecution) can act on executions anyway, and are trusted as for any state machine.
 */

/** A waiter the registry starts waits in. */
export interface RegistryWaiter {
  name: string;
  stateMachineArn: string;
  parsed: ParsedPollerConfig;
}

export interface RegistryApiDependencies {
  store: RegistryStore;
  sfn: SFNClient;
  waiters: readonly RegistryWaiter[];
  adminIds: ReadonlySet<string>;
  /** Terminates jobs a wait submitted itself, in its system; the failures (`<id>: <why>`). */
  terminate: (system: string, jobIds: readonly string[], reason: string) => Promise<string[]>;
  newWaitId: () => string;
  now: () => number;
  log: (line: Record<string, unknown>) => void;
}

export type RegistryApiHandler = (event: LambdaFunctionURLEvent) => Promise<LambdaFunctionURLResult>;

const answer = (statusCode: number, body: object): LambdaFunctionURLResult => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: JSON.stringify(body),
});
const refusal = (error: ApiRefusal) => answer(error.status, { error: error.error, message: error.message });
const notFound = (waitId: string) => new ApiRefusal(404, 'NoSuchWait', `no wait ${waitId} of yours`);

const ACTIVE = new Set(['PENDING', 'RUNNING']);

/** What the caller may do with a wait now (the jobs page shows these buttons). */
export function actionsFor(record: RegistryRecord): string[] {
  if (ACTIVE.has(record.status)) return ['cancel'];
  return [...(record.submitsJobs ? ['resubmit'] : []), 'delete'];
}

/** A wait as the API answers it: never the owner's id to anyone but an admin. */
function publicWait(record: RegistryRecord, admin: boolean) {
  const {
    owner,
    request: _request,
    stateMachineArn: _machine,
    sequence: _sequence,
    final: _final,
    ...rest
  } = record;
  return {
    ...rest,
    owner: {
      display: owner.display ?? (owner.verified ? 'you' : 'unverified'),
      verified: owner.verified,
      ...(admin ? { id: owner.id, ...(owner.hint ? { hint: owner.hint } : {}) } : {}),
    },
    actions: actionsFor(record),
  };
}

/** `<key>-rs-<8 hex of the new wait id>`: a business key no earlier run has, within Batch's 128 characters. */
export function resubmitKey(jobName: string, newWaitId: string): string {
  const base = jobName.replace(/-rs-[0-9a-f]{8}$/, '');
  const suffix = `-rs-${newWaitId.slice(0, 8)}`;
  return `${base.slice(0, 128 - suffix.length)}${suffix}`;
}

export function createRegistryApi(deps: RegistryApiDependencies): RegistryApiHandler {
  return async (event) => {
    const caller = callerOf(event as never);
    if ('refused' in caller) return answer(403, { error: 'CallerNotAllowed', message: caller.refused });
    try {
      const request = parseApiRequest(event);
      return await route(request, caller, deps);
    } catch (error) {
      if (error instanceof ApiRefusal) return refusal(error);
      if (error instanceof RegistryCursorError)
        return answer(400, { error: 'InvalidRequest', message: error.message });
      deps.log({
        event: 'registryApiFailed',
        error: (error as Error).name,
        message: (error as Error).message,
      });
      return answer(500, { error: 'InternalError', message: 'the registry could not answer; see its log' });
    }
  };
}

async function route(
  request: ApiRequest,
  caller: Caller,
  deps: RegistryApiDependencies,
): Promise<LambdaFunctionURLResult> {
  const admin = deps.adminIds.has(caller.ownerId);
  switch (request.route) {
    case 'start':
      return start(request.body, caller, deps, admin);
    case 'list': {
      if (request.all && !admin)
        throw new ApiRefusal(403, 'NotAdmin', 'all: only an admin lists every owner’s waits');
      const page = await deps.store.list(request.all ? { all: true } : { ownerId: caller.ownerId }, {
        limit: request.limit,
        ...(request.cursor === undefined ? {} : { cursor: request.cursor }),
        ...(request.status === undefined ? {} : { tethys: request.status }),
      });
      return answer(200, {
        waits: page.records.map((record) => publicWait(record, admin)),
        ...(page.cursor ? { cursor: page.cursor } : {}),
        // The registry's time, so a caller works out how long an active wait has run without its own clock.
        asOf: new Date(deps.now()).toISOString(),
      });
    }
    default: {
      const record = await deps.store.get(request.waitId);
      if (record === undefined || (record.owner.id !== caller.ownerId && !admin))
        throw notFound(request.waitId);
      if (request.route === 'get') return answer(200, { wait: publicWait(record, admin) });
      if (request.route === 'cancel') return cancel(record, caller, deps, admin);
      if (request.route === 'delete') {
        if (ACTIVE.has(record.status))
          throw new ApiRefusal(
            409,
            'StillActive',
            `wait ${record.waitId} is ${record.status}: cancel it first`,
          );
        // False: deleted meanwhile (a concurrent request), which is what was asked.
        if (!(await deps.store.markDeleted(record.waitId))) throw notFound(record.waitId);
        return answer(200, { deleted: record.waitId });
      }
      return resubmit(record, caller, deps, admin);
    }
  }
}

function waiterFor(name: string | undefined, deps: RegistryApiDependencies): RegistryWaiter {
  const names = deps.waiters.map((waiter) => waiter.name);
  const waiter =
    name === undefined && deps.waiters.length === 1
      ? deps.waiters[0]
      : deps.waiters.find((w) => w.name === name);
  if (waiter === undefined) {
    throw new ApiRefusal(
      400,
      'InvalidRequest',
      `waiter: expected one of ${names.join(', ')}, got ${JSON.stringify(name) ?? 'none'}`,
    );
  }
  return waiter;
}

async function start(
  body: StartBody,
  caller: Caller,
  deps: RegistryApiDependencies,
  admin: boolean,
  resubmission: { waitId: string; resubmittedFrom: string } | undefined = undefined,
) {
  const resubmittedFrom = resubmission?.resubmittedFrom;
  const waiter = waiterFor(body.waiter, deps);
  const { config, system } = waiter.parsed;
  if (body.input.waitId !== undefined) {
    throw new ApiRefusal(
      400,
      'InvalidRequest',
      'input.waitId: expected none (the registry names the wait), got one',
    );
  }
  let target: ReturnType<typeof parseWaitRequest>['target'];
  try {
    target = parseWaitRequest(
      body.input,
      config.stages,
      config.maxTimeoutSeconds,
      config.submit,
      'current',
      system.model.naming,
    ).target;
  } catch (error) {
    if (error instanceof InvalidInputError)
      throw new ApiRefusal(400, 'InvalidRequest', `input.${error.message}`);
    throw error;
  }
  const waitId = resubmission?.waitId ?? deps.newWaitId();
  const executionArn = `${waiter.stateMachineArn.replace(':stateMachine:', ':execution:')}:${waitId}`;
  const registered = await deps.store.register({
    waitId,
    name: body.name,
    ...(body.description === undefined ? {} : { description: body.description }),
    properties: { ...body.properties, ...(resubmittedFrom ? { resubmittedFrom } : {}) },
    owner: { id: caller.ownerId, verified: true, display: caller.display },
    ...(config.system === undefined ? {} : { system: config.system }),
    stateMachineArn: waiter.stateMachineArn,
    executionArn,
    request: body.input,
    submitsJobs: config.submit !== undefined && 'jobName' in target,
  });
  // Ids are fresh UUIDs: a clash is a bug, never a wait to start twice.
  if (!registered) throw new Error(`wait id ${waitId} is taken`);
  try {
    await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: waiter.stateMachineArn,
        name: waitId,
        input: JSON.stringify({ ...body.input, waitId }),
      }),
    );
  } catch (error) {
    await startFailed(error as Error, waitId, executionArn, deps);
  }
  deps.log({
    event: 'registryStarted',
    waitId,
    owner: caller.ownerId,
    ...(resubmittedFrom ? { resubmittedFrom } : {}),
  });
  const record = await deps.store.get(waitId);
  return answer(201, { wait: publicWait(record as RegistryRecord, admin) });
}

/**
 * StartExecution failed. Only a refusal proves nothing started: after a throttle, a 5xx or a timeout the
 * execution may be running, so it is looked up before the wait is recorded as failed. Throws the refusal.
 */
async function startFailed(
  error: Error,
  waitId: string,
  executionArn: string,
  deps: RegistryApiDependencies,
): Promise<void> {
  let exists: boolean | undefined;
  try {
    await deps.sfn.send(new DescribeExecutionCommand({ executionArn }));
    exists = true;
  } catch (describeError) {
    exists = describeError instanceof ExecutionDoesNotExist ? false : undefined;
  }
  deps.log({ event: 'registryStartFailed', waitId, error: error.name, started: exists ?? 'unknown' });
  if (exists === true) return;
  if (exists === undefined) {
    throw new ApiRefusal(
      503,
      'StartUnconfirmed',
      `StartExecution failed (${error.name}) and whether wait ${waitId} started is not known yet: GET /waits/${waitId} shows it`,
    );
  }
  const throttled = /Throttl|LimitExceeded/.test(error.name);
  const reason = `StartExecution failed: ${error.name}`;
  await deps.store.recordEnd(waitId, 'FAILED', new Date(deps.now()).toISOString(), reason);
  throw new ApiRefusal(throttled ? 503 : 502, 'StartFailed', `${reason}${throttled ? '; try again' : ''}`);
}

async function cancel(record: RegistryRecord, caller: Caller, deps: RegistryApiDependencies, admin: boolean) {
  if (!ACTIVE.has(record.status)) {
    throw new ApiRefusal(
      409,
      'NotActive',
      `wait ${record.waitId} is ${record.status}: there is nothing to cancel`,
    );
  }
  const reason = `cancelled through the stepwait registry by ${caller.display}`;
  // The execution the wait began in first, then its segments in order: stopping an execution stops the segment
  // its `.sync` Hand Over waits for, whereas a segment stopped first would fail it (StepWait.SegmentFailed)
  // before its own stop arrived. Segments are named `<waitId>-<n>`; the first execution is named anything
  // (the wait id when the registry started it; whatever a schedule or a person chose otherwise).
  const segmentNumber = (arn: string) => {
    const name = arn.split(':').at(-1) ?? '';
    const suffix = name.startsWith(`${record.waitId}-`) ? name.slice(record.waitId.length + 1) : '';
    return /^\d+$/.test(suffix) ? Number(suffix) : 0;
  };
  const executionArns = [...record.executionArns].sort((a, b) => segmentNumber(a) - segmentNumber(b));
  for (const executionArn of executionArns) {
    try {
      await deps.sfn.send(
        new StopExecutionCommand({ executionArn, error: 'StepWait.Cancelled', cause: reason }),
      );
    } catch (error) {
      // A segment that ended already, or an execution the registry recorded before it started.
      if (!(error instanceof ExecutionDoesNotExist)) throw error;
    }
  }
  // Only jobs this wait submitted: a wait on someone else's job must not be a way to kill it.
  const submitted = record.submittedJobIds ?? [];
  const failures =
    submitted.length === 0 ? [] : await deps.terminate(record.system ?? 'batch', submitted, reason);
  await deps.store.recordEnd(record.waitId, 'ABORTED', new Date(deps.now()).toISOString(), reason);
  deps.log({
    event: 'registryCancelled',
    waitId: record.waitId,
    by: caller.ownerId,
    terminated: submitted.length,
    failures,
  });
  const after = (await deps.store.get(record.waitId)) ?? record;
  return answer(202, {
    wait: publicWait(after, admin),
    terminatedJobIds: submitted,
    ...(failures.length ? { terminateFailures: failures } : {}),
  });
}

async function resubmit(
  record: RegistryRecord,
  caller: Caller,
  deps: RegistryApiDependencies,
  admin: boolean,
) {
  if (ACTIVE.has(record.status))
    throw new ApiRefusal(
      409,
      'StillActive',
      `wait ${record.waitId} is ${record.status}: only a finished wait is resubmitted`,
    );
  const request = record.request;
  if (!record.submitsJobs || request === undefined || typeof request.jobName !== 'string') {
    throw new ApiRefusal(
      409,
      'NotResubmittable',
      `wait ${record.waitId} did not submit its job: only a submit-and-wait is resubmitted`,
    );
  }
  const waiter = deps.waiters.find((candidate) => candidate.stateMachineArn === record.stateMachineArn);
  if (waiter === undefined)
    throw new ApiRefusal(
      409,
      'NotResubmittable',
      `wait ${record.waitId} ran in a waiter this registry no longer serves`,
    );
  // A new business key: the old one would attach to the job that already ran (`attach, never resubmit`).
  const waitId = deps.newWaitId();
  return start(
    {
      name: record.name,
      ...(record.description === undefined ? {} : { description: record.description }),
      ...(record.properties === undefined ? {} : { properties: withoutResubmitted(record.properties) }),
      waiter: waiter.name,
      input: { ...request, jobName: resubmitKey(request.jobName, waitId) },
    },
    caller,
    deps,
    admin,
    { waitId, resubmittedFrom: record.waitId },
  );
}

function withoutResubmitted(properties: Record<string, string>): Record<string, string> {
  const { resubmittedFrom: _from, ...rest } = properties;
  return rest;
}
