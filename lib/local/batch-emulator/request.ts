import { clientError } from './errors';

/** A parsed JSON request body. */
export type JsonObject = { readonly [key: string]: unknown };

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The body of a REST-JSON request: a JSON object (the SDK sends `{}` when an input has no members). */
export function parseJsonObject(text: string): JsonObject {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw clientError('the request body is not valid JSON');
  }
  if (!isJsonObject(parsed)) throw clientError('the request body must be a JSON object');
  return parsed;
}

export function optionalString(body: JsonObject, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw clientError(`${field} must be a string`);
  return value;
}

export function requireString(body: JsonObject, field: string): string {
  const value = optionalString(body, field);
  if (value === undefined || value === '') throw clientError(`${field} is required`);
  return value;
}

export function requireStringList(body: JsonObject, field: string): string[] {
  const value = body[field];
  if (value === undefined || value === null) throw clientError(`${field} is required`);
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw clientError(`${field} must be a list of strings`);
  }
  return value;
}

export function optionalInteger(body: JsonObject, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw clientError(`${field} must be an integer`);
  return value;
}

export function optionalStringMap(body: JsonObject, field: string): Record<string, string> | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!isJsonObject(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw clientError(`${field} must be a map of strings to strings`);
  }
  return { ...(value as Record<string, string>) };
}

export function optionalObjectList(body: JsonObject, field: string): JsonObject[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every(isJsonObject))
    throw clientError(`${field} must be a list of objects`);
  return value;
}

export function optionalObject(body: JsonObject, field: string): JsonObject | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!isJsonObject(value)) throw clientError(`${field} must be an object`);
  return value;
}

export function optionalBoolean(body: JsonObject, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw clientError(`${field} must be a boolean`);
  return value;
}

export function optionalStringList(body: JsonObject, field: string): string[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  return requireStringList(body, field);
}
