import { isRecord } from '../json-object';
import { JOB_ID_PATTERN } from './naming';

/**
 * AWS Batch's job state-change events (Batch User Guide, "Job state change events"): EventBridge delivers
 * them with `source: aws.batch` and `detail-type: Batch Job State Change`, the `detail` shaped like
 * DescribeJobs' JobDetail. Batch sends one for every status after the initial SUBMITTED. Delivery is at least
 * once and not in order, so an event only says which job to look at again.
 */
export const BATCH_EVENT_SOURCE = 'aws.batch';
export const BATCH_JOB_STATE_CHANGE = 'Batch Job State Change';

/** What a wake-up needs of an event: the job, and the status the event reports. */
export interface StateChange {
  jobId: string;
  status: string;
}

/**
 * The job and status of a Batch state-change event, or why it is not one (a message that will never
 * become one: the waker drops it rather than retry it).
 */
export function batchStateChange(event: unknown): StateChange | { invalid: string } {
  if (!isRecord(event)) return { invalid: 'not a JSON object' };
  if (event.source !== BATCH_EVENT_SOURCE || event['detail-type'] !== BATCH_JOB_STATE_CHANGE) {
    return {
      invalid: `expected source ${BATCH_EVENT_SOURCE} and detail-type ${BATCH_JOB_STATE_CHANGE}, got ${JSON.stringify(event.source)} / ${JSON.stringify(event['detail-type'])}`,
    };
  }
  const detail = event.detail;
  if (!isRecord(detail)) return { invalid: 'detail: expected an object' };
  const { jobId, status } = detail;
  if (typeof jobId !== 'string' || !JOB_ID_PATTERN.test(jobId)) {
    return { invalid: `detail.jobId: expected a Batch job id, got ${JSON.stringify(jobId)}` };
  }
  if (typeof status !== 'string' || status.length === 0) {
    return { invalid: `detail.status: expected a job status, got ${JSON.stringify(status)}` };
  }
  return { jobId, status };
}
