import { DescribeJobsCommand, ListJobsCommand } from '@aws-sdk/client-batch';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { JobWaiter } from '../../lib/job-waiter';
import { type CfnTemplate, stateMachinesIn } from '../../lib/local/template';
import {
  firstPollStateName,
  POLL_STATE_SUFFIX,
  pollStateName,
  stageOfPollState,
  WAIT_OUTPUT_FIELDS,
  WAIT_STATE_FIELDS,
  type WaitState,
} from '../../waiters';
import { createHarness, describeOutput, isWaitState, job, QUEUE } from '../lambdas/fixtures';

/**
 * The wait-state contract (waiters/wait-state.ts) is the one declaration of the state: the poller writes
 * nothing it does not declare, and the fragment branches on nothing it does not declare.
 */

/**
 * Fields the machine keeps beside the wait state for its own steps (a caught error, a described segment,
 * a lambda:invoke envelope, the request before the first poll); none is read by the poller.
 */
const MACHINE_SCRATCH = new Set([
  'request',
  'pollError',
  'pollerFailure',
  'raised',
  'relay',
  'relayed',
  'handOverError',
  'handOverFailure',
  'segmentDescription',
  'describeError',
  'terminateError',
]);

type AslState = Record<string, unknown> & { Type?: string };

/** Every state of a definition, Map item processors included. */
function allStates(definition: { States?: Record<string, AslState> }): [string, AslState][] {
  return Object.entries(definition.States ?? {}).flatMap(([name, state]) => [
    [name, state] as [string, AslState],
    ...(state.ItemProcessor ? allStates(state.ItemProcessor as { States?: Record<string, AslState> }) : []),
  ]);
}

/** Choice variables (nested And/Or/Not too), Wait SecondsPath, Fail ErrorPath/CausePath, Map ItemsPath. */
function pathsReadBy(state: AslState): string[] {
  const conditions = (rule: unknown): string[] => {
    if (typeof rule !== 'object' || rule === null) return [];
    const record = rule as Record<string, unknown>;
    return [
      ...(typeof record.Variable === 'string' ? [record.Variable] : []),
      ...['And', 'Or'].flatMap((key) =>
        Array.isArray(record[key]) ? (record[key] as unknown[]).flatMap(conditions) : [],
      ),
      ...conditions(record.Not),
    ];
  };
  const paths = [
    ...(Array.isArray(state.Choices) ? state.Choices.flatMap(conditions) : []),
    ...['SecondsPath', 'ErrorPath', 'CausePath', 'ItemsPath'].map((key) => state[key]),
  ];
  return paths.filter((path): path is string => typeof path === 'string' && path.startsWith('$.'));
}

describe('the wait-state contract', () => {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Contract');
  new JobWaiter(stack, 'Waiter', {
    cancelJobOnTimeout: true,
    submit: { jobDefinition: 'etl', jobQueue: QUEUE },
  });
  const machines = stateMachinesIn(Template.fromStack(stack).toJSON() as CfnTemplate);

  it('leaves the machines branching only on declared state fields (or their own scratch)', () => {
    expect(machines).toHaveLength(2);
    const read = new Set<string>();
    for (const { definition } of machines) {
      for (const [, state] of allStates(definition as { States?: Record<string, AslState> })) {
        for (const path of pathsReadBy(state)) read.add(path.slice(2).split('.')[0] as string);
      }
    }
    // The reading surface really was found: a Choice on `state`, a Wait on `delaySeconds`, a Fail on `error`.
    expect([...read]).toEqual(
      expect.arrayContaining(['state', 'stageIndex', 'delaySeconds', 'error', 'cause', 'jobIds']),
    );
    const undeclared = [...read].filter(
      (field) => !(WAIT_STATE_FIELDS as readonly string[]).includes(field) && !MACHINE_SCRATCH.has(field),
    );
    expect(undeclared).toEqual([]);
  });

  it('names every poll task after the contract, and ends a wait with exactly the declared output fields', () => {
    for (const { definition } of machines) {
      const names = allStates(definition as { States?: Record<string, AslState> }).map(([name]) => name);
      const polls = names.filter((name) => name.endsWith(POLL_STATE_SUFFIX));
      const stages = ['JobExists', 'JobRunning', 'JobComplete'];
      // A segment machine starts at its `Start` Pass (it resumes at any stage); any other at its first poll.
      const startAt = (definition as { StartAt: string }).StartAt;
      const firstPolls = startAt === 'Start' ? [] : [firstPollStateName('JobExists')];
      expect(startAt).toBe(firstPolls[0] ?? 'Start');
      expect(polls).toEqual([...firstPolls, ...stages.map(pollStateName)]);
      expect(polls.map(stageOfPollState)).toEqual([...firstPolls.map(() => 'JobExists'), ...stages]);
      const done = (definition as { States: Record<string, AslState> }).States.Done;
      expect(Object.keys(done?.Parameters as object)).toEqual(
        WAIT_OUTPUT_FIELDS.map((field) => `${field}.$`),
      );
    }
  });

  it('holds every field the poller returns, through a lookup, a submit, polls and a failure', async () => {
    const h = createHarness({ submit: { jobQueue: QUEUE, resubmitFailed: false, parameters: {} } });
    h.batchMock.on(ListJobsCommand).resolves({ jobSummaryList: [] });
    const submit = await h.first({ jobName: 'nightly' });
    const seen: WaitState[] = [submit];
    const id = 'a1b2c3d4-0000-4000-8000-00000000000c';
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(id, 'RUNNING')));
    const running = await h.next({ ...submit, submitted: { jobId: id } });
    seen.push(running);
    h.advance(running.delaySeconds);
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(id, 'FAILED')));
    seen.push(await h.next(running));
    for (const state of seen) {
      expect(isWaitState(state)).toBe(true);
      const extra = Object.keys(state).filter(
        (key) => !(WAIT_STATE_FIELDS as readonly string[]).includes(key),
      );
      expect(extra, state.state).toEqual([]);
    }
    expect(seen.map((state) => state.state)).toEqual(['submit', 'retry', 'failure']);
  });
});
