import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidArn,
  InvalidExecutionInput,
  InvalidName,
  type SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  ValidationException,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../bin/cli/account/registry-client';
import { LocalDeployment } from '../../../lib/local/local-deployment';
import { ALICE, BOB, keysOf, LOCAL_USERS, OPS, uniqueIdOf } from '../../../lib/local/local-users';
import { synthesizeWaiter } from '../../../lib/local/local-waiter';
import { seededRandom } from '../../../lib/local/seeded-random';
import type { LocalIdentity } from '../../../lib/local/sigv4-verifier';
import { LOCAL_REGION } from '../../../lib/local/template';

/**
 * The example app with a registry, deployed locally and left running on a paced clock (600x): waits
 * started through the registry API run real local executions, which the API describes and stops through
 * the loopback Step Functions endpoint, and whose ends reach the registry through the template's rule.
 */
let deployment: LocalDeployment;
let sfn: SFNClient;
const logged: Record<string, unknown>[] = [];
const client = (who: LocalIdentity) => new RegistryClient(deployment.registryUrl, keysOf(who), LOCAL_REGION);

beforeAll(async () => {
  const synthesized = synthesizeWaiter({ examples: false, registry: { admins: [uniqueIdOf(OPS)] } });
  deployment = await LocalDeployment.start({
    template: synthesized.template,
    stateMachineArn: synthesized.stateMachineArn,
    users: LOCAL_USERS,
    speed: 600,
    random: seededRandom(3),
    log: (line) => logged.push(line),
  });
  sfn = deployment.stepFunctions.client();
}, 60_000);

afterAll(async () => {
  await deployment?.stop();
  // Nothing is left running once it stopped.
  expect(deployment.executions.list().filter((execution) => execution.status === 'RUNNING')).toEqual([]);
});

const addJob = (runSeconds: number) => deployment.addJob({ queueSeconds: 30, runSeconds });

/**
 * The example app with a registry and a poll budget of 10, so a wait continues in a segment execution after
 * 10 polls; paced at `speed`, or unpaced without it.
 */
function handingOver(seed: number, speed?: number): Promise<LocalDeployment> {
  const synthesized = synthesizeWaiter({ examples: false, registry: true, waiter: { pollBudget: 10 } });
  return LocalDeployment.start({
    template: synthesized.template,
    stateMachineArn: synthesized.stateMachineArn,
    users: LOCAL_USERS,
    ...(speed === undefined ? {} : { speed }),
    random: seededRandom(seed),
  });
}

async function start(who: LocalIdentity, name: string, jobId: string) {
  const answer = await client(who).call({
    method: 'POST',
    path: '/waits',
    body: { name, waiter: deployment.waiterName, input: { jobId } },
  });
  expect(answer.status).toBe(201);
  const { waitId, executionArns } = (answer.body as { wait: { waitId: string; executionArns: string[] } })
    .wait;
  return { waitId, executionArn: executionArns[0] as string };
}

async function waitOf(who: LocalIdentity, waitId: string) {
  const answer = await client(who).call({ method: 'GET', path: `/waits/${waitId}` });
  return answer.status === 200 ? (answer.body as { wait: Record<string, unknown> }).wait : answer.status;
}

describe('a local deployment with a registry', () => {
  it('runs a wait the registry API started to its end, on the execution named after the wait', async () => {
    const wait = await start(ALICE, 'alice-load', addJob(120));
    await expect
      .poll(async () => (await waitOf(ALICE, wait.waitId)) as Record<string, unknown>, { timeout: 30_000 })
      .toMatchObject({ status: 'SUCCEEDED', tethysStatus: 'Complete' });
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: wait.executionArn }));
    expect(described).toMatchObject({ name: wait.waitId, status: 'SUCCEEDED' });
    expect(JSON.parse(described.input ?? '')).toMatchObject({ waitId: wait.waitId });
    // Nobody else's: 404 for Bob, as for a wait that does not exist; the admin sees it, with its owner.
    expect(await waitOf(BOB, wait.waitId)).toBe(404);
    expect(await waitOf(OPS, wait.waitId)).toMatchObject({
      owner: { verified: true, id: uniqueIdOf(ALICE) },
    });
  });

  it('cancels a running wait: its execution stops ABORTED, and the registry says Aborted', async () => {
    const wait = await start(BOB, 'bob-long', addJob(86_400));
    await expect
      .poll(async () => ((await waitOf(BOB, wait.waitId)) as Record<string, unknown>).status, {
        timeout: 30_000,
      })
      .toBe('RUNNING');
    const cancelled = await client(BOB).call({ method: 'POST', path: `/waits/${wait.waitId}/cancel` });
    expect(cancelled.status).toBe(202);
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: wait.executionArn }));
    // The stop's error and cause, as the account CLI's status shows them.
    expect(described).toMatchObject({
      status: 'ABORTED',
      redriveStatus: 'REDRIVABLE',
      error: 'StepWait.Cancelled',
      cause: 'cancelled through the stepwait registry by user/bob',
    });
    // The end event arrives later (at least once) and is recorded; the wait stays Aborted.
    await expect
      .poll(() => logged.some((line) => line.event === 'executionEnd' && line.waitId === wait.waitId), {
        timeout: 30_000,
      })
      .toBe(true);
    expect(await waitOf(BOB, wait.waitId)).toMatchObject({ status: 'ABORTED', tethysStatus: 'Aborted' });
  });

  it("records an end its polls cannot see (a stop from the console) through the template's end rule", async () => {
    const wait = await start(ALICE, 'alice-stopped-elsewhere', addJob(86_400));
    const status = async () => ((await waitOf(ALICE, wait.waitId)) as Record<string, unknown>).status;
    await expect.poll(status, { timeout: 30_000 }).toBe('RUNNING');
    await sfn.send(new StopExecutionCommand({ executionArn: wait.executionArn, error: 'Console.Stop' }));
    await expect.poll(status, { timeout: 30_000 }).toBe('ABORTED');
  });

  it("records a wait started outside the registry as unverified, for the admin's eyes only", async () => {
    const jobId = addJob(60);
    const started = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deployment.machine.stateMachineArn,
        name: 'nightly-schedule-run',
        input: JSON.stringify({ jobId }),
      }),
    );
    expect(started.executionArn).toMatch(/:execution:[^:]+:nightly-schedule-run$/);
    const unverified = async () => {
      const answer = await client(OPS).call({ method: 'GET', path: '/waits?all=true' });
      const waits = (answer.body as { waits: { owner: { verified: boolean; hint?: string } }[] }).waits;
      return waits.filter((wait) => !wait.owner.verified);
    };
    await expect.poll(unverified, { timeout: 30_000 }).toHaveLength(1);
    expect((await unverified())[0]?.owner.hint).toContain('nightly-schedule-run');
    const mine = await client(ALICE).call({ method: 'GET', path: '/waits' });
    const names = (mine.body as { waits: { owner: { verified: boolean } }[] }).waits;
    expect(names.every((wait) => wait.owner.verified)).toBe(true);
  });

  it('answers the Step Functions API as AWS does, with its errors', async () => {
    const stateMachineArn = deployment.machine.stateMachineArn;
    const input = JSON.stringify({ jobId: addJob(3_600) });
    const first = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'same-name', input }));
    // Idempotent while running with the same input; another input is ExecutionAlreadyExists.
    const again = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'same-name', input }));
    expect(again).toMatchObject({ executionArn: first.executionArn, startDate: first.startDate });
    expect(deployment.executions.list().filter((execution) => execution.name === 'same-name')).toHaveLength(
      1,
    );
    const running = await sfn.send(new DescribeExecutionCommand({ executionArn: first.executionArn }));
    expect(running).toMatchObject({
      status: 'RUNNING',
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution is RUNNING and cannot be redriven',
    });
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'same-name', input: '{"jobId":"other"}' })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'has space', input })),
    ).rejects.toBeInstanceOf(InvalidName);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{not json' })),
    ).rejects.toBeInstanceOf(InvalidExecutionInput);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: `${stateMachineArn}Gone`, input })),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify('x'.repeat(262_143)) })),
    ).rejects.toBeInstanceOf(ValidationException);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:us-east-1:Waiter', input })),
    ).rejects.toBeInstanceOf(InvalidArn);
    await expect(
      sfn.send(new StopExecutionCommand({ executionArn: first.executionArn, cause: 'x'.repeat(32_769) })),
    ).rejects.toBeInstanceOf(ValidationException);
    await expect(
      sfn.send(new StopExecutionCommand({ executionArn: first.executionArn, error: 'x'.repeat(257) })),
    ).rejects.toBeInstanceOf(ValidationException);
    const before = deployment.clock.now();
    const stopped = await sfn.send(
      new StopExecutionCommand({ executionArn: first.executionArn, error: 'Test.Stop', cause: 'done' }),
    );
    // Epoch seconds on the wire, as the SDK reads them: the stop happened between these two readings.
    expect(stopped.stopDate?.getTime()).toBeGreaterThanOrEqual(Math.floor(before));
    expect(stopped.stopDate?.getTime()).toBeLessThanOrEqual(deployment.clock.now());
    // Stopping it again leaves it as it ended.
    const stoppedAgain = await sfn.send(new StopExecutionCommand({ executionArn: first.executionArn }));
    expect(stoppedAgain.stopDate).toEqual(stopped.stopDate);
    await expect(
      sfn.send(new DescribeExecutionCommand({ executionArn: `${first.executionArn}-unknown` })),
    ).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    // A closed execution's name stays taken.
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'same-name', input })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    const machine = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
    expect(JSON.parse(machine.definition ?? '')).toEqual(deployment.machine.definition);
  });

  it("cancels a wait that handed over: its segment execution is the account's too, and stops", async () => {
    const segmented = await handingOver(5, 3_600);
    try {
      const jobId = segmented.addJob({ queueSeconds: 30, runSeconds: 30 * 86_400 });
      const alice = new RegistryClient(segmented.registryUrl, keysOf(ALICE), LOCAL_REGION);
      const started = await alice.call({
        method: 'POST',
        path: '/waits',
        body: { name: 'long-one', waiter: segmented.waiterName, input: { jobId } },
      });
      const { waitId } = (started.body as { wait: { waitId: string } }).wait;
      const executionsOf = async () => {
        const answer = await alice.call({ method: 'GET', path: `/waits/${waitId}` });
        return (answer.body as { wait: { executionArns: string[] } }).wait.executionArns;
      };
      await expect
        .poll(async () => (await executionsOf()).length, { timeout: 60_000 })
        .toBeGreaterThanOrEqual(2);
      const cancelled = await alice.call({ method: 'POST', path: `/waits/${waitId}/cancel` });
      expect(cancelled.status).toBe(202);
      const stepFunctions = segmented.stepFunctions.client();
      for (const executionArn of await executionsOf()) {
        const described = await stepFunctions.send(new DescribeExecutionCommand({ executionArn }));
        expect(described.status, described.name).toBe('ABORTED');
      }
    } finally {
      await segmented.stop();
    }
  });

  it('runs a wait through its hand-overs to its end, the clock moving while a segment runs', async () => {
    // Unpaced: the clock jumps from one instant to the next, and stops for good if anything holds it.
    const unpaced = await handingOver(6);
    try {
      const jobId = unpaced.addJob({ queueSeconds: 60, runSeconds: 6 * 3_600 });
      const started = await unpaced.invokeApi(ALICE, 'POST', '/waits', {
        name: 'six-hours',
        waiter: unpaced.waiterName,
        input: { jobId },
      });
      expect(started.status).toBe(201);
      await unpaced.executions.allEnded();
      const ended = unpaced.executions.list();
      // The main execution and the segments it handed over to, all ended well.
      expect(ended.length).toBeGreaterThan(2);
      expect(ended.map((execution) => execution.status)).toEqual(ended.map(() => 'SUCCEEDED'));
    } finally {
      await unpaced.stop();
    }
  });

  it('stops the segment its main execution waits for when the main is stopped, as Step Functions does', async () => {
    const segmented = await handingOver(7, 3_600);
    try {
      const jobId = segmented.addJob({ queueSeconds: 30, runSeconds: 30 * 86_400 });
      const started = segmented.executions.startExecution({
        stateMachineArn: segmented.machine.stateMachineArn,
        name: 'console-run',
        input: JSON.stringify({ jobId }),
      });
      const segments = () =>
        segmented.executions.list().filter((execution) => execution.executionArn !== started.executionArn);
      await expect.poll(() => segments().length, { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
      await segmented.executions.stopExecution({ executionArn: started.executionArn });
      await segmented.executions.allEnded();
      expect(segmented.executions.list().map((execution) => execution.status)).toEqual(
        segmented.executions.list().map(() => 'ABORTED'),
      );
    } finally {
      await segmented.stop();
    }
  });

  it('refuses an app without a registry, and a machine its registry does not serve, by name', async () => {
    const plain = synthesizeWaiter({ examples: false });
    await expect(
      LocalDeployment.start({
        template: plain.template,
        stateMachineArn: plain.stateMachineArn,
        users: LOCAL_USERS,
        random: seededRandom(1),
      }),
    ).rejects.toThrow(/the app has no registry of waits: no function has STEPWAIT_REGISTRY_WAITERS/);
    const withRegistry = synthesizeWaiter({ examples: false, registry: true });
    await expect(
      LocalDeployment.start({
        template: withRegistry.template,
        stateMachineArn: withRegistry.segment.stateMachineArn,
        users: LOCAL_USERS,
        random: seededRandom(1),
      }),
    ).rejects.toThrow(/the registry does not start waits in arn:aws:states:.*SegmentStateMachine/);
  });

  it('refuses a request signed with a key it does not know, before the API runs', async () => {
    const stranger = { ...ALICE, accessKeyId: 'AKIALOCALSTRANGER000', secretAccessKey: 'nope' };
    const answer = await client(stranger).call({ method: 'GET', path: '/waits' });
    expect(answer.status).toBe(403);
  });
});
