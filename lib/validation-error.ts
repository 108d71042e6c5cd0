import type { IConstruct } from 'constructs';

/**
 * A construct prop that cannot work, reported at synth the way aws-cdk-lib reports its own (its
 * ValidationError is internal): the construct path, the prop, what came and what is allowed. Thrown from
 * constructors, or returned by `node.addValidation` for what can only be checked once the app is built.
 */
export class StepWaitValidationError extends Error {
  override readonly name = 'StepWaitValidationError';

  constructor(
    readonly scope: IConstruct,
    /** The prop, as a user writes it: `timeout`, `submit.jobQueue`, `schedules[0].input.jobId`. */
    readonly prop: string,
    /** What is wrong and what is allowed. */
    readonly detail: string,
  ) {
    super(`${scope.node.path}: ${prop}: ${detail}`);
  }

  /** `expected <allowed>, got <value>`, the value shown as JSON (long ones cut). */
  static expected(
    scope: IConstruct,
    prop: string,
    allowed: string,
    received: unknown,
  ): StepWaitValidationError {
    return new StepWaitValidationError(scope, prop, `expected ${allowed}, got ${describe(received)}`);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'object' && value !== null && 'toSeconds' in value) {
    return (value as { toString(): string }).toString();
  }
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
