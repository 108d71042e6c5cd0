import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { isRecord, TETHYS_STATUSES, type TethysStatus } from '../../waiters';
import { WAIT_ID_PATTERN } from '../wait-request';

/**
 * The registry API's requests, checked before anything is read or written: every refusal is an ApiRefusal
 * with an HTTP status, a name and what was expected against what came.
 *
 *   POST   /waits                  start: { name, description?, properties?, waiter?, input }
 *   GET    /waits?limit&cursor&status&all   list: the caller's waits, newest first (all: every owner's, admins)
 *   GET    /waits/<id>             get one
 *   POST   /waits/<id>/cancel      stop it (and terminate the jobs it submitted itself)
 *   POST   /waits/<id>/resubmit    start a finished submit-and-wait again, under a new business key
 *   DELETE /waits/<id>             delete a finished wait from the registry
 */
export type ApiRequest =
  | { route: 'start'; body: StartBody }
  | { route: 'list'; limit: number; cursor?: string; status?: TethysStatus; all: boolean }
  | { route: 'get' | 'cancel' | 'resubmit' | 'delete'; waitId: string };

export interface StartBody {
  name: string;
  description?: string;
  properties?: Record<string, string>;
  /** Which waiter runs it, where the registry serves several. */
  waiter?: string;
  input: Record<string, unknown>;
}

export class ApiRefusal extends Error {
  override readonly name = 'ApiRefusal';
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

export const MAX_BODY_BYTES = 65_536;
export const MAX_NAME_LENGTH = 128;
export const MAX_DESCRIPTION_LENGTH = 1_024;
export const MAX_PROPERTIES = 32;
export const MAX_PROPERTY_KEY_LENGTH = 64;
export const MAX_PROPERTY_VALUE_LENGTH = 512;
export const MAX_PAGE = 100;
export const DEFAULT_PAGE = 25;
const MAX_CURSOR_LENGTH = 2_048;

const show = (value: unknown) => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};
const invalid = (field: string, expected: string, got: unknown) =>
  new ApiRefusal(400, 'InvalidRequest', `${field}: expected ${expected}, got ${show(got)}`);

/** The route and its checked parameters. @throws ApiRefusal */
export function parseApiRequest(
  event: Pick<
    LambdaFunctionURLEvent,
    'rawPath' | 'requestContext' | 'body' | 'isBase64Encoded' | 'queryStringParameters'
  >,
): ApiRequest {
  const method = event.requestContext?.http?.method ?? '';
  const parts = (event.rawPath ?? '').split('/').filter((part) => part !== '');
  if (parts[0] !== 'waits' || parts.length > 3) {
    throw new ApiRefusal(404, 'NoSuchRoute', `no route ${show(event.rawPath)}: the routes are under /waits`);
  }
  const allow = (...methods: string[]) => {
    if (!methods.includes(method)) {
      throw new ApiRefusal(
        405,
        'MethodNotAllowed',
        `${show(event.rawPath)} takes ${methods.join(' or ')}, got ${show(method)}`,
      );
    }
  };
  if (parts.length === 1) {
    allow('GET', 'POST');
    return method === 'POST'
      ? { route: 'start', body: startBody(bodyOf(event)) }
      : listRequest(event.queryStringParameters ?? {});
  }
  const waitId = parts[1] as string;
  if (!WAIT_ID_PATTERN.test(waitId)) throw invalid('waitId', 'a wait id (a lowercase UUID)', waitId);
  if (parts.length === 2) {
    allow('GET', 'DELETE');
    return { route: method === 'GET' ? 'get' : 'delete', waitId };
  }
  const action = parts[2];
  if (action !== 'cancel' && action !== 'resubmit') {
    throw new ApiRefusal(404, 'NoSuchRoute', `no action ${show(action)}: a wait has cancel and resubmit`);
  }
  allow('POST');
  return { route: action, waitId };
}

function bodyOf(event: Pick<LambdaFunctionURLEvent, 'body' | 'isBase64Encoded'>): unknown {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
    throw new ApiRefusal(
      413,
      'BodyTooLarge',
      `a body is at most ${MAX_BODY_BYTES} bytes, got ${Buffer.byteLength(text)}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw invalid('(body)', 'a JSON object', text);
  }
}

function boundedText(value: unknown, field: string, max: number, required: boolean): string | undefined {
  if (value === undefined && !required) return undefined;
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > max ||
    [...value].some((char) => (char.codePointAt(0) as number) < 0x20)
  ) {
    throw invalid(field, `text of 1 to ${max} characters, no control characters`, value);
  }
  return value;
}

function startBody(body: unknown): StartBody {
  if (!isRecord(body)) throw invalid('(body)', 'a JSON object { name, input, ... }', body);
  const known = ['name', 'description', 'properties', 'waiter', 'input'];
  const unknown = Object.keys(body).find((key) => !known.includes(key));
  if (unknown !== undefined)
    throw invalid(unknown, `no such field (known: ${known.join(', ')})`, body[unknown]);
  const name = boundedText(body.name, 'name', MAX_NAME_LENGTH, true) as string;
  const description = boundedText(body.description, 'description', MAX_DESCRIPTION_LENGTH, false);
  const waiter = boundedText(body.waiter, 'waiter', MAX_NAME_LENGTH, false);
  if (!isRecord(body.input))
    throw invalid('input', 'the wait request, a JSON object such as {"jobId": "..."}', body.input);
  let properties: Record<string, string> | undefined;
  if (body.properties !== undefined) {
    if (!isRecord(body.properties) || Object.keys(body.properties).length > MAX_PROPERTIES) {
      throw invalid('properties', `an object of at most ${MAX_PROPERTIES} text values`, body.properties);
    }
    properties = {};
    for (const [key, value] of Object.entries(body.properties)) {
      boundedText(key, 'properties (a key)', MAX_PROPERTY_KEY_LENGTH, true);
      properties[key] = boundedText(value, `properties.${key}`, MAX_PROPERTY_VALUE_LENGTH, true) as string;
    }
  }
  return {
    name,
    input: body.input,
    ...(description === undefined ? {} : { description }),
    ...(properties === undefined ? {} : { properties }),
    ...(waiter === undefined ? {} : { waiter }),
  };
}

function listRequest(query: Record<string, string | undefined>): ApiRequest {
  const known = ['limit', 'cursor', 'status', 'all'];
  const unknown = Object.keys(query).find((key) => !known.includes(key));
  if (unknown !== undefined)
    throw invalid(unknown, `no such parameter (known: ${known.join(', ')})`, query[unknown]);
  let limit = DEFAULT_PAGE;
  if (query.limit !== undefined) {
    limit = Number(query.limit);
    if (!/^\d{1,3}$/.test(query.limit) || limit < 1 || limit > MAX_PAGE) {
      throw invalid('limit', `a whole number from 1 to ${MAX_PAGE}`, query.limit);
    }
  }
  if (query.cursor !== undefined && (query.cursor.length === 0 || query.cursor.length > MAX_CURSOR_LENGTH)) {
    throw invalid('cursor', 'a cursor a previous page gave', query.cursor);
  }
  if (query.status !== undefined && !(TETHYS_STATUSES as readonly string[]).includes(query.status)) {
    throw invalid('status', `one of ${TETHYS_STATUSES.join(', ')}`, query.status);
  }
  if (query.all !== undefined && query.all !== 'true' && query.all !== 'false') {
    throw invalid('all', 'true or false', query.all);
  }
  return {
    route: 'list',
    limit,
    all: query.all === 'true',
    ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
    ...(query.status === undefined ? {} : { status: query.status as TethysStatus }),
  };
}
