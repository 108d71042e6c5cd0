import type { FaultRow } from './fault-scenarios';
import { LocalDeployment } from './local-deployment';
import { ALICE, BOB } from './local-users';
import { synthesizeWaiter } from './local-waiter';
import { seededRandom } from './seeded-random';

/**
 * The fault suite's registry row: waits started through the registry API on the local deployment (the
 * example app with a registry, unpaced), while DynamoDB throttles half the pollers' registry writes past
 * every attempt of their client. The registry must lag, never break a wait: every wait must end as its job
 * did. And no status change may be lost: once the ends are recorded, each wait's record must say how it
 * ended and show its job's final status, whether the poll after a failed write made it good (the state's
 * `registryBehind`) or, for a last write, the end recorder did.
 */
export const REGISTRY_FAULTS_ID = 'registry-writes';
const THROTTLE = 0.5;

export async function runRegistryFaults(waits: number, seed: number): Promise<FaultRow> {
  const started = Date.now();
  const random = seededRandom(seed);
  const synthesized = synthesizeWaiter({ examples: false, registry: true });
  const deployment = await LocalDeployment.start({
    template: synthesized.template,
    stateMachineArn: synthesized.stateMachineArn,
    users: [ALICE, BOB],
    random,
    registryWriteThrottle: THROTTLE,
  });
  const incorrect: { index: number; problem: string }[] = [];
  let lost = 0;
  try {
    const runs: { waitId: string; jobId: string; outcome: 'SUCCEEDED' | 'FAILED' }[] = [];
    for (let index = 0; index < waits; index++) {
      const outcome = random() < 0.25 ? 'FAILED' : 'SUCCEEDED';
      const jobId = deployment.addJob({
        queueSeconds: Math.round(random() * 600),
        runSeconds: 300 + Math.round(random() * 3 * 3_600),
        outcome,
      });
      const answer = await deployment.invokeApi(index % 2 === 0 ? ALICE : BOB, 'POST', '/waits', {
        name: `load-${index}`,
        waiter: deployment.waiterName,
        input: { jobId },
      });
      if (answer.status !== 201)
        throw new Error(`the registry API refused a start: ${JSON.stringify(answer.body)}`);
      runs.push({ waitId: (answer.body as { wait: { waitId: string } }).wait.waitId, jobId, outcome });
    }
    await deployment.executions.allEnded();
    await deployment.settle();
    for (const [index, run] of runs.entries()) {
      const executionArn = `${deployment.machine.stateMachineArn.replace(':stateMachine:', ':execution:')}:${run.waitId}`;
      const execution = deployment.executions.describeExecution({ executionArn });
      if (execution.status !== run.outcome) {
        incorrect.push({
          index,
          problem: `the wait ended ${String(execution.status)}, its job ${run.outcome}`,
        });
        continue;
      }
      const record = await deployment.registry.store.get(run.waitId);
      const jobStatus = record?.jobs?.find((job) => job.jobId === run.jobId)?.status;
      if (record?.status !== run.outcome || jobStatus !== run.outcome) {
        lost++;
        incorrect.push({
          index,
          problem: `the registry says ${String(record?.status)} with its job ${String(jobStatus)}; the wait and its job ended ${run.outcome}`,
        });
      }
    }
    const { writes, throttled } = deployment.pollerWrites();
    const endedRight = waits - incorrect.length + lost;
    return {
      scenario: REGISTRY_FAULTS_ID,
      fault: `registry: ${THROTTLE * 100}% of the pollers' writes throttled past every attempt`,
      waitsRun: waits,
      waitsCorrect: waits - incorrect.length,
      attemptsConsumedByFaults: null,
      attemptsMustBeZero: false,
      dataLost: lost,
      passed: incorrect.length === 0,
      notes: `${throttled} of the pollers' ${writes} registry writes throttled; ${endedRight} of ${waits} waits ended as their jobs did, and ${waits - incorrect.length} records say how the wait and its job ended (a failed write made good by the next poll, a last one by the end recorder)`,
      stats: { writes, throttled },
      failures: incorrect.slice(0, 5).map(({ index, problem }) => `wait ${index}: ${problem}`),
      incorrect,
      realSeconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    await deployment.stop();
  }
}
