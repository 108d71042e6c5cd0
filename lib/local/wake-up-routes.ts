import { CALLBACK_SECRET_ENV } from '../../lambdas/wake-up/callback-url';
import { PARK_TABLE_ENV } from '../../lambdas/wake-up/park-store';
import { LocalAppError } from './app-error';
import type { EventPattern } from './event-pattern';
import {
  type CfnTemplate,
  type CfnValue,
  functionVariables,
  getAttId,
  resolveDeep,
  resolveValue,
} from './template';

/**
 * How a synthesized template routes wake-ups, read from its resources as CloudFormation would create
 * them: the park table, each EventBridge rule's pattern and the queue it targets, that queue's visibility
 * timeout and redrive policy, and the function its event source mapping invokes (stepwait's waker).
 */
export interface WakeUpRoutes {
  /** The park table's name, as the waker's and the pollers' environments name it. */
  readonly tableName: string;
  readonly queues: readonly QueueRoute[];
  /** The function a schedule invokes with the park table (stepwait's sweeper), and how often. */
  readonly sweeper?: { readonly logicalId: string; readonly intervalSeconds: number };
  /** A function URL over a function with the park table and signing keys (stepwait's callback function). */
  readonly callback?: {
    readonly logicalId: string;
    readonly keysSecretArn: string;
    readonly authType: string;
  };
}

/** `rate(5 minutes)` in seconds (EventBridge schedule expressions: rate(value unit)). */
function rateSeconds(expression: unknown): number | undefined {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(String(expression));
  if (match === null) return undefined;
  const unit = { minute: 60, minutes: 60, hour: 3600, hours: 3600, day: 86_400, days: 86_400 }[
    match[2] as string
  ];
  return Number(match[1]) * (unit as number);
}

export interface QueueRoute {
  readonly logicalId: string;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  readonly batchSize: number;
  /** The logical id of the function that drains it. */
  readonly consumer: string;
  readonly rules: readonly { name: string; pattern: EventPattern }[];
}

/** @throws LocalAppError when the template parks but has no waker to wake it */
export function wakeUpRoutesIn(template: CfnTemplate): WakeUpRoutes {
  const resources = Object.entries(template.Resources);
  const consumers = new Map<string, { consumer: string; batchSize: number }>();
  let tableName: string | undefined;
  for (const [, resource] of resources) {
    if (resource.Type !== 'AWS::Lambda::EventSourceMapping') continue;
    const properties = resource.Properties ?? {};
    const queue = getAttId(properties.EventSourceArn);
    const consumer = (properties.FunctionName as { Ref?: string } | undefined)?.Ref;
    const environment = functionVariables(template, consumer);
    const table = environment?.[PARK_TABLE_ENV];
    if (queue === undefined || consumer === undefined || table === undefined) continue;
    tableName = resolveValue(template, table);
    consumers.set(queue, { consumer, batchSize: Number(properties.BatchSize ?? 10) });
  }
  if (tableName === undefined) {
    throw new LocalAppError(
      `a wait parks (wakeUp: 'events'), but the template has no waker: no SQS event source mapping invokes a function with ${PARK_TABLE_ENV}`,
    );
  }
  const queues: QueueRoute[] = [...consumers].map(([logicalId, { consumer, batchSize }]) => {
    const properties = template.Resources[logicalId]?.Properties ?? {};
    const redrive = properties.RedrivePolicy as { maxReceiveCount?: number } | undefined;
    const rules = resources
      .filter(
        ([, resource]) =>
          resource.Type === 'AWS::Events::Rule' &&
          ((resource.Properties?.Targets as { Arn?: CfnValue }[] | undefined) ?? []).some(
            (target) => getAttId(target.Arn) === logicalId,
          ),
      )
      .map(([name, resource]) => ({
        name,
        pattern: resolveDeep(template, resource.Properties?.EventPattern) as EventPattern,
      }));
    return {
      logicalId,
      // SQS's defaults: 30 s visibility; no redrive policy means messages are received until they expire.
      visibilityTimeoutSeconds: Number(properties.VisibilityTimeout ?? 30),
      maxReceiveCount: Number(redrive?.maxReceiveCount ?? Number.POSITIVE_INFINITY),
      batchSize,
      consumer,
      rules,
    };
  });
  const consumersIds = new Set(queues.map((queue) => queue.consumer));
  let sweeper: WakeUpRoutes['sweeper'];
  for (const [, resource] of resources) {
    if (resource.Type !== 'AWS::Events::Rule') continue;
    const intervalSeconds = rateSeconds(resource.Properties?.ScheduleExpression);
    if (intervalSeconds === undefined) continue;
    for (const target of (resource.Properties?.Targets as { Arn?: CfnValue }[] | undefined) ?? []) {
      const logicalId = getAttId(target.Arn);
      const variables = functionVariables(template, logicalId);
      if (
        logicalId !== undefined &&
        variables?.[PARK_TABLE_ENV] !== undefined &&
        !consumersIds.has(logicalId)
      ) {
        sweeper = { logicalId, intervalSeconds };
      }
    }
  }
  let callback: WakeUpRoutes['callback'];
  for (const [, resource] of resources) {
    if (resource.Type !== 'AWS::Lambda::Url') continue;
    const logicalId = getAttId(resource.Properties?.TargetFunctionArn);
    const variables = functionVariables(template, logicalId);
    const keys = variables?.[CALLBACK_SECRET_ENV];
    if (logicalId !== undefined && keys !== undefined && variables?.[PARK_TABLE_ENV] !== undefined) {
      callback = {
        logicalId,
        keysSecretArn: resolveValue(template, keys),
        authType: String(resource.Properties?.AuthType ?? 'NONE'),
      };
    }
  }
  return {
    tableName,
    queues,
    ...(sweeper === undefined ? {} : { sweeper }),
    ...(callback === undefined ? {} : { callback }),
  };
}
