/**
 * How long the calls of a wait take, simulated on the virtual clock for the benchmark's detection figures.
 * No AWS figure exists for these, so they are stated here rather than measured: log-normal draws with the
 * medians below and sigma 0.5 (p95 about 2.3 times the median).
 * - lambdaSeconds: a warm poller invocation, its status call (DescribeJobs) included, from the state
 *   machine scheduling the task to its result: median 150 ms.
 * - pickUpSeconds: an SQS event source mapping handing a new message to the waker (its pollers long-poll,
 *   so a message is picked up as it arrives) plus the waker's Query and SendTaskSuccess: median 200 ms.
 */
export interface SimulatedLatencies {
  lambdaSeconds(random: () => number): number;
  pickUpSeconds(random: () => number): number;
}

/** A log-normal draw (Box-Muller) with this median, from a uniform `random`. */
export function logNormal(median: number, sigma: number, random: () => number): number {
  const u = Math.max(random(), Number.EPSILON);
  return median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random()));
}

export const STATED_LATENCIES: SimulatedLatencies = {
  lambdaSeconds: (random) => logNormal(0.15, 0.5, random),
  pickUpSeconds: (random) => logNormal(0.2, 0.5, random),
};
