/**
 * What an execution's input may hold, for tools that build one (the `stepwait start` command line): the
 * limits are the state machine's own, read from the poller's request parser, so the tool and the machine
 * cannot disagree. bin/ imports lib/ only (DESIGN.md), hence this module.
 */
export { MAX_JOB_IDS } from '../lambdas/wait-request';

/**
 * The longest deadline any stepwait machine may be given: a Standard execution lives at most 365 days, and
 * the machine's own TimeoutSeconds (a backstop) sits an hour above the deadline. A construct's `maxTimeout`
 * may be at most this; plain seconds here so that tools need not load aws-cdk-lib.
 */
export const LONGEST_TIMEOUT_SECONDS = 364 * 86_400;
