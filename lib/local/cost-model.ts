/**
 * What a wait costs in AWS, from published on-demand prices (us-east-1, checked 2026-12; the pages cited
 * per price), for the local reports and `npm run bench`. Variable costs are counted per wait from what the
 * local run did; fixed monthly costs of event mode are spread over a number of waits a month.
 */

/** Step Functions Standard: $0.025 per 1,000 state transitions (aws.amazon.com/step-functions/pricing). */
export const PRICE_PER_STATE_TRANSITION_USD = 0.025 / 1000;
/** Lambda: $0.20 per 1M requests (aws.amazon.com/lambda/pricing). */
export const PRICE_PER_LAMBDA_REQUEST_USD = 0.2 / 1_000_000;
/**
 * Lambda on Arm (Graviton2), which stepwait's functions use: $0.0000133334 per GB-second for the first
 * 6 billion GB-seconds a month (aws.amazon.com/lambda/pricing; x86 is $0.0000166667).
 */
export const PRICE_PER_LAMBDA_GB_SECOND_USD = 0.0000133334;
/** DynamoDB on-demand: $0.625 per million write request units (aws.amazon.com/dynamodb/pricing/on-demand). */
export const PRICE_PER_DYNAMODB_WRITE_USD = 0.625 / 1_000_000;
/** DynamoDB on-demand: $0.125 per million read request units (a strongly consistent read of up to 4 KB is 1). */
export const PRICE_PER_DYNAMODB_READ_USD = 0.125 / 1_000_000;
/** SQS standard queues: $0.40 per million requests, free tier left out (aws.amazon.com/sqs/pricing). */
export const PRICE_PER_SQS_REQUEST_USD = 0.4 / 1_000_000;
/**
 * EventBridge: "state change events published by AWS services are free" on the default bus, matching and
 * delivery to targets included (aws.amazon.com/eventbridge/pricing): Batch's events cost nothing.
 */
export const PRICE_PER_AWS_SERVICE_EVENT_USD = 0;

/** What one Lambda invocation is billed for here: stepwait's functions have 256 MB; ~100 ms each, stated. */
export const LAMBDA_MEMORY_MB = 256;
export const LAMBDA_MILLISECONDS_EACH = 100;
/** The sweeper's invocation reads a page of parks and makes its DescribeJobs calls: ~300 ms, stated. */
export const SWEEPER_MILLISECONDS_EACH = 300;

/**
 * An SQS event source mapping polls an idle queue all month: Lambda "starts with five concurrent batches"
 * (Lambda Developer Guide, "Scaling and processing" for SQS), each a ReceiveMessage long poll of up to 20 s
 * (SQS API Reference, WaitTimeSeconds): 5 x 3 a minute, 648,000 requests in a 30-day month.
 */
export const IDLE_QUEUE_REQUESTS_PER_MONTH = 5 * 3 * 60 * 24 * 30;

/**
 * With callback URLs, the secret of signing keys: $0.40 per secret per month (aws.amazon.com/secrets-manager/
 * pricing; its GetSecretValue calls, cached for 15 minutes per container, are a rounding error).
 */
export const CALLBACK_SECRET_PER_MONTH_USD = 0.4;

/** Seconds in the 30-day month the fixed costs are counted over. */
export const MONTH_SECONDS = 30 * 86_400;

/** What a wait used, as a local run counts it. */
export interface WaitUsage {
  stateTransitions: number;
  /** Invocations of the poller (polls and parks) and, in event mode, of the waker. */
  lambdaInvocations: number;
  dynamoDbWrites?: number;
  dynamoDbReads?: number;
  sqsRequests?: number;
}

const gbSeconds = (invocations: number, milliseconds: number) =>
  invocations * (milliseconds / 1000) * (LAMBDA_MEMORY_MB / 1024);

/**
 * The variable cost of one wait. The sweeper's invocations are not in it: they run whatever the waits, a
 * fixed cost (eventModeFixedCostPerMonthUsd); what a wait adds to a sweep (its records read) is.
 */
export function waitCostUsd(usage: WaitUsage): number {
  return (
    usage.stateTransitions * PRICE_PER_STATE_TRANSITION_USD +
    usage.lambdaInvocations * PRICE_PER_LAMBDA_REQUEST_USD +
    gbSeconds(usage.lambdaInvocations, LAMBDA_MILLISECONDS_EACH) * PRICE_PER_LAMBDA_GB_SECOND_USD +
    (usage.dynamoDbWrites ?? 0) * PRICE_PER_DYNAMODB_WRITE_USD +
    (usage.dynamoDbReads ?? 0) * PRICE_PER_DYNAMODB_READ_USD +
    (usage.sqsRequests ?? 0) * PRICE_PER_SQS_REQUEST_USD
  );
}

/**
 * Event mode's fixed cost a month, whatever the waits: the queue's idle polling, and the sweeper's
 * invocations with one Scan of an empty table each (a read costs at least half a unit when eventually
 * consistent). The park table itself costs nothing on demand while empty.
 */
export function eventModeFixedCostPerMonthUsd(sweepIntervalSeconds: number, callbacks = false): number {
  const sweeps = MONTH_SECONDS / sweepIntervalSeconds;
  return (
    (callbacks ? CALLBACK_SECRET_PER_MONTH_USD : 0) +
    IDLE_QUEUE_REQUESTS_PER_MONTH * PRICE_PER_SQS_REQUEST_USD +
    sweeps *
      (PRICE_PER_LAMBDA_REQUEST_USD +
        gbSeconds(1, SWEEPER_MILLISECONDS_EACH) * PRICE_PER_LAMBDA_GB_SECOND_USD) +
    sweeps * 0.5 * PRICE_PER_DYNAMODB_READ_USD
  );
}
