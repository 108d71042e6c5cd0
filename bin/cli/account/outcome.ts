/**
 * The outcome mapping lives in lib/ (one mapping for the account commands and local runs); the JSON
 * helpers here read what DescribeExecution and the history return.
 */
export { type ExecutionFacts, outcomeOf, WAIT_OUTCOMES, type WaitOutcome } from '../../../lib/wait-outcome';

export function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A Cause's `reason` (stepwait's causes are JSON `{ reason, jobs }`); other causes as they are. */
export function reasonOf(cause: string | undefined): string | undefined {
  if (cause === undefined || cause === '') return undefined;
  const parsed = parseJson(cause);
  if (isRecord(parsed) && typeof parsed.reason === 'string') return parsed.reason;
  return cause;
}
