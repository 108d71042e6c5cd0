/**
 * What an execution's input may hold, for tools that build one (the `stepwait start` command line): the
 * limits are the state machine's own, read from the poller's request parser, so the tool and the machine
 * cannot disagree. bin/ imports lib/ only (DESIGN.md), hence this module.
 */
export { MAX_JOB_IDS } from '../lambdas/wait-request';
