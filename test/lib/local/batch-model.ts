import { readFileSync } from 'node:fs';
import * as batchV3 from '@aws-sdk/client-batch';

/**
 * The AWS Batch service model as the AWS SDK for JavaScript v2 ships it (`aws-sdk/apis/batch-2016-08-10.min.json`,
 * a development dependency, read only here), and a check of JSON values against its shapes.
 */

/** A shape of the model: shapes are inlined, or referenced by `shape` into the model's `shapes`. */
export interface ModelShape {
  readonly shape?: string;
  readonly type?: string;
  readonly members?: Readonly<Record<string, ModelShape>>;
  readonly required?: readonly string[];
  readonly member?: ModelShape;
  readonly key?: ModelShape;
  readonly value?: ModelShape;
}

export interface ModelOperation {
  readonly http: { readonly method?: string; readonly requestUri: string };
  readonly input?: ModelShape;
  readonly output?: ModelShape;
}

export interface BatchModel {
  readonly metadata: { readonly protocol: string; readonly apiVersion: string };
  readonly operations: Readonly<Record<string, ModelOperation>>;
  readonly shapes: Readonly<Record<string, ModelShape>>;
}

export function loadBatchModel(): BatchModel {
  return JSON.parse(
    readFileSync(require.resolve('aws-sdk/apis/batch-2016-08-10.min.json'), 'utf8'),
  ) as BatchModel;
}

/** A shape with its `shape` reference followed. */
export function resolveShape(model: BatchModel, shape: ModelShape): ModelShape {
  if (shape.shape === undefined) return shape;
  const target = model.shapes[shape.shape];
  if (target === undefined) throw new Error(`the model has no shape ${shape.shape}`);
  return { ...target, ...withoutReference(shape) };
}

function withoutReference({ shape: _reference, ...rest }: ModelShape): ModelShape {
  return rest;
}

/** The JSON type a model type travels as in REST-JSON (strings have no `type` in the minified model). */
export function jsonTypeOf(
  shape: ModelShape,
): 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' {
  switch (shape.type) {
    case 'structure':
    case 'map':
      return 'object';
    case 'list':
      return 'array';
    case 'integer':
    case 'long':
      return 'integer';
    case 'float':
    case 'double':
      return 'number';
    case 'boolean':
      return 'boolean';
    case undefined:
    case 'string':
      return 'string';
    default:
      throw new Error(`no JSON type known for model type ${shape.type}`);
  }
}

function jsonTypeOfValue(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeMatches(expected: string, value: unknown): boolean {
  const actual = jsonTypeOfValue(value);
  return actual === expected || (expected === 'number' && actual === 'integer');
}

/**
 * Members newer than the v2 model: the JobSummary of the current model (the one `@aws-sdk/client-batch` v3 is
 * generated from) has isCancelled and isTerminated, which the frozen v2 model lacks. Keyed by the path of
 * the structure in a response; each is checked against v3's own schema of that structure.
 */
export const NEWER_THAN_V2: Readonly<
  Record<string, { v3Shape: string; members: Readonly<Record<string, string>> }>
> = {
  'ListJobs.jobSummaryList[]': {
    v3Shape: 'JobSummary',
    members: { isCancelled: 'boolean', isTerminated: 'boolean' },
  },
};

/** The member names of a structure in the v3 client's schema (`<Shape>$ = [3, namespace, name, traits, members, ...]`). */
export function v3MemberNames(shapeName: string): readonly string[] {
  const schema = (batchV3 as unknown as Record<string, unknown>)[`${shapeName}$`];
  if (!Array.isArray(schema) || schema[0] !== 3 || !Array.isArray(schema[4])) {
    throw new Error(`@aws-sdk/client-batch has no structure schema ${shapeName}$`);
  }
  return schema[4] as string[];
}

/**
 * Where a JSON value breaks a shape: members the shape does not have (recursively), and values of the
 * wrong JSON type. `path` names the place, e.g. `DescribeJobs.jobs[].container.exitCode`.
 */
export function shapeProblems(model: BatchModel, shape: ModelShape, value: unknown, path: string): string[] {
  const resolved = resolveShape(model, shape);
  const expected = jsonTypeOf(resolved);
  if (!typeMatches(expected, value)) return [`${path}: expected ${expected}, got ${jsonTypeOfValue(value)}`];
  switch (resolved.type) {
    case 'structure': {
      const newer = NEWER_THAN_V2[path];
      return Object.entries(value as Record<string, unknown>).flatMap(([name, member]) => {
        const memberShape = resolved.members?.[name];
        if (memberShape !== undefined) return shapeProblems(model, memberShape, member, `${path}.${name}`);
        const newerType = newer?.members[name];
        if (newerType !== undefined) {
          return typeMatches(newerType, member) ? [] : [`${path}.${name}: expected ${newerType}`];
        }
        return [`${path}.${name}: not a member of the model's shape`];
      });
    }
    case 'list':
      return (value as unknown[]).flatMap((item) =>
        shapeProblems(model, resolved.member ?? {}, item, `${path}[]`),
      );
    case 'map':
      return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) =>
        shapeProblems(model, resolved.value ?? {}, item, `${path}{${key}}`),
      );
    default:
      return [];
  }
}

/** The value with the member at `path` (names and list indexes) removed. */
export function without(value: unknown, path: readonly (string | number)[]): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let parent = copy;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
  delete parent[path.at(-1) as string | number];
  return copy;
}

/**
 * Every required member the model marks that a request body holds (top level and nested, in lists too),
 * as a path to delete to make the request incomplete.
 */
export function requiredMemberPaths(
  model: BatchModel,
  shape: ModelShape,
  value: unknown,
  path: (string | number)[] = [],
): (string | number)[][] {
  const resolved = resolveShape(model, shape);
  if (resolved.type === 'structure' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const body = value as Record<string, unknown>;
    return [
      ...(resolved.required ?? []).filter((name) => name in body).map((name) => [...path, name]),
      ...Object.entries(body).flatMap(([name, member]) => {
        const memberShape = resolved.members?.[name];
        return memberShape === undefined
          ? []
          : requiredMemberPaths(model, memberShape, member, [...path, name]);
      }),
    ];
  }
  if (resolved.type === 'list' && Array.isArray(value)) {
    return value.flatMap((item, index) =>
      requiredMemberPaths(model, resolved.member ?? {}, item, [...path, index]),
    );
  }
  return [];
}
