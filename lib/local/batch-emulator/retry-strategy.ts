/**
 * retryStrategy and timeout, from SubmitJob or the job definition (Batch API reference, RetryStrategy,
 * EvaluateOnExit, JobTimeout; Batch User Guide, "Automated job retries" and "Job timeouts").
 */

import { clientError } from './errors';
import {
  type JsonObject,
  optionalInteger,
  optionalObject,
  optionalObjectList,
  optionalString,
} from './request';

export type RetryAction = 'RETRY' | 'EXIT';

export interface EvaluateOnExit {
  readonly onStatusReason?: string;
  readonly onReason?: string;
  readonly onExitCode?: string;
  /** As sent: "The values aren't case sensitive". */
  readonly action: string;
}

export interface RetryStrategy {
  /** "You can specify between 1 and 10 attempts." */
  readonly attempts?: number;
  readonly evaluateOnExit?: readonly EvaluateOnExit[];
}

export interface JobTimeout {
  readonly attemptDurationSeconds?: number;
}

const MAX_ATTEMPTS = 10;
const MAX_EVALUATE_ON_EXIT = 5;
/** "The minimum value for the timeout is 60 seconds" (JobTimeout.attemptDurationSeconds). */
export const MIN_TIMEOUT_SECONDS = 60;
/**
 * onStatusReason and onReason: "up to 512 characters ... letters, numbers, periods (.), colons (:), and
 * white spaces ... It can optionally end with an asterisk (*)"; onExitCode: "only numbers, and can end with
 * an asterisk".
 */
const REASON_PATTERN = /^[A-Za-z0-9.:\s]{0,512}\*?$/;
const EXIT_CODE_PATTERN = /^\d{0,512}\*?$/;

/** The retryStrategy member of a request body, or undefined when absent. */
export function readRetryStrategy(body: JsonObject, field: string): RetryStrategy | undefined {
  const value = optionalObject(body, field);
  if (value === undefined) return undefined;
  const attempts = optionalInteger(value, 'attempts');
  if (attempts !== undefined && (attempts < 1 || attempts > MAX_ATTEMPTS)) {
    throw clientError(`${field}.attempts must be between 1 and ${MAX_ATTEMPTS}, got ${attempts}`);
  }
  const rules = optionalObjectList(value, 'evaluateOnExit');
  if (rules === undefined) return { ...(attempts === undefined ? {} : { attempts }) };
  if (attempts === undefined) {
    // "If this parameter is specified, then the attempts parameter must also be specified."
    throw clientError(`${field}.evaluateOnExit requires ${field}.attempts`);
  }
  if (rules.length > MAX_EVALUATE_ON_EXIT) {
    throw clientError(`${field}.evaluateOnExit takes at most ${MAX_EVALUATE_ON_EXIT} conditions`);
  }
  return {
    attempts,
    evaluateOnExit: rules.map((rule, i) => readEvaluateOnExit(rule, `${field}.evaluateOnExit[${i}]`)),
  };
}

function readEvaluateOnExit(rule: JsonObject, field: string): EvaluateOnExit {
  const action = optionalString(rule, 'action');
  if (action === undefined) throw clientError(`${field}.action is required`);
  if (!['RETRY', 'EXIT'].includes(action.toUpperCase())) {
    throw clientError(`${field}.action must be RETRY or EXIT, got ${action}`);
  }
  const conditions: Record<string, string> = {};
  for (const [key, pattern] of [
    ['onStatusReason', REASON_PATTERN],
    ['onReason', REASON_PATTERN],
    ['onExitCode', EXIT_CODE_PATTERN],
  ] as const) {
    const condition = optionalString(rule, key);
    if (condition === undefined) continue;
    if (!pattern.test(condition)) throw clientError(`${field}.${key} is not a valid pattern: ${condition}`);
    conditions[key] = condition;
  }
  return { ...conditions, action };
}

/** The timeout member of a request body, or undefined when absent. */
export function readTimeout(body: JsonObject, field: string): JobTimeout | undefined {
  const value = optionalObject(body, field);
  if (value === undefined) return undefined;
  const seconds = optionalInteger(value, 'attemptDurationSeconds');
  if (seconds !== undefined && seconds < MIN_TIMEOUT_SECONDS) {
    throw clientError(
      `${field}.attemptDurationSeconds must be at least ${MIN_TIMEOUT_SECONDS}, got ${seconds}`,
    );
  }
  return seconds === undefined ? {} : { attemptDurationSeconds: seconds };
}

/** What ended an attempt, as the conditions of evaluateOnExit see it. */
export interface AttemptEnd {
  readonly statusReason: string;
  /** The container's reason; the emulator's containers report none, which only `*` matches. */
  readonly reason?: string;
  readonly exitCode: number;
}

/**
 * Whether a failed attempt is retried (given attempts remain): the first evaluateOnExit rule whose every
 * condition matches decides; "If none of the listed conditions match, then the job is retried".
 */
export function retries(strategy: RetryStrategy | undefined, end: AttemptEnd): boolean {
  for (const rule of strategy?.evaluateOnExit ?? []) {
    const matches =
      globMatches(rule.onStatusReason, end.statusReason) &&
      globMatches(rule.onReason, end.reason ?? '') &&
      globMatches(rule.onExitCode, String(end.exitCode));
    if (matches) return rule.action.toUpperCase() === 'RETRY';
  }
  return true;
}

/** An exact match, or with a trailing `*` a match of the start only; an absent condition matches anything. */
function globMatches(pattern: string | undefined, value: string): boolean {
  if (pattern === undefined) return true;
  return pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : value === pattern;
}
