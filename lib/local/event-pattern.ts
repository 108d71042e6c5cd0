import { isRecord } from '../../waiters';
/**
 * EventBridge's event-pattern matching for local runs (EventBridge User Guide, "Event patterns" and
 * "Content filtering"), the part stepwait's rules and a user's simple rules use: every field of the pattern
 * must match (nested objects field by field), a field's array matches when any element matches, and an
 * element is a literal (string, number, boolean, null) or one of `{ prefix }`, `{ suffix }`,
 * `{ "anything-but": value | [values] }`, `{ exists: boolean }`, `{ "equals-ignore-case" }`. An event field
 * that is an array matches when any of its elements matches. Any other operator is refused, never guessed.
 */
export type EventPattern = { [field: string]: EventPattern | readonly unknown[] };

export class UnsupportedPatternError extends Error {
  constructor(path: string, what: string) {
    super(`event pattern ${path}: ${what} is not supported by the local bus`);
    this.name = 'UnsupportedPatternError';
  }
}

/** Whether `event` matches `pattern`. @throws UnsupportedPatternError for an operator it does not implement */
export function matchesPattern(pattern: EventPattern, event: unknown, path = '$'): boolean {
  if (!isRecord(event)) return false;
  for (const [field, expected] of Object.entries(pattern)) {
    const present = Object.hasOwn(event, field);
    const value = event[field];
    if (Array.isArray(expected)) {
      if (!expected.some((element) => matchesElement(element, present, value, `${path}.${field}`)))
        return false;
    } else if (isRecord(expected)) {
      if (!present || !matchesPattern(expected as EventPattern, value, `${path}.${field}`)) return false;
    } else {
      throw new UnsupportedPatternError(`${path}.${field}`, 'a value that is neither an array nor an object');
    }
  }
  return true;
}

function matchesElement(element: unknown, present: boolean, value: unknown, path: string): boolean {
  if (isRecord(element)) {
    const [operator, ...others] = Object.keys(element);
    if (operator === undefined || others.length > 0)
      throw new UnsupportedPatternError(path, JSON.stringify(element));
    const operand = element[operator];
    if (operator === 'exists') return operand === present;
    if (!present) return false;
    const values = Array.isArray(value) ? value : [value];
    switch (operator) {
      case 'prefix':
        return values.some((item) => typeof item === 'string' && item.startsWith(String(operand)));
      case 'suffix':
        return values.some((item) => typeof item === 'string' && item.endsWith(String(operand)));
      case 'equals-ignore-case':
        return values.some(
          (item) => typeof item === 'string' && item.toLowerCase() === String(operand).toLowerCase(),
        );
      case 'anything-but': {
        const excluded = Array.isArray(operand) ? operand : [operand];
        if (excluded.some((item) => isRecord(item)))
          throw new UnsupportedPatternError(path, JSON.stringify(element));
        return values.every((item) => !excluded.includes(item));
      }
      default:
        throw new UnsupportedPatternError(path, `the operator "${operator}"`);
    }
  }
  if (!present) return false;
  // A literal matches the value, or any element of an array value.
  return Array.isArray(value) ? value.includes(element) : value === element;
}
