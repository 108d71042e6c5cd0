/** A poll event or wait request that cannot be used; `field` names where, the message what was expected. */
export class InvalidInputError extends Error {
  override readonly name = 'StepWait.InvalidInput';

  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
  }

  static expected(field: string, expected: string, received: unknown): InvalidInputError {
    return new InvalidInputError(field, `expected ${expected}, got ${describeValue(received)}`);
  }
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
