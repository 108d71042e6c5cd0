import { type BatchClient, TerminateJobCommand } from '@aws-sdk/client-batch';

/**
 * Terminates the jobs a wait submitted itself (the registry's cancel); other systems' waits never submit
 * (their constructs refuse it). Returns the failures, `<id>: <why>`: one job that cannot be terminated does
 * not keep the others running. Batch's TerminateJob takes a reason of at most 1,024 characters.
 */
export async function terminateSubmittedJobs(
  batch: BatchClient,
  system: string,
  jobIds: readonly string[],
  reason: string,
): Promise<string[]> {
  if (system !== 'batch')
    return jobIds.map((id) => `${id}: ${system} jobs are not terminated by the registry`);
  const failures: string[] = [];
  for (const jobId of jobIds) {
    try {
      await batch.send(new TerminateJobCommand({ jobId, reason: reason.slice(0, 1024) }));
    } catch (error) {
      failures.push(`${jobId}: ${(error as Error).name}`);
    }
  }
  return failures;
}
