import { Stack } from 'aws-cdk-lib';
import type { Construct, IConstruct } from 'constructs';

/**
 * The one construct of `type` a stack keeps under `id` (WakeUps, Registry): the existing one, or one made
 * with `create` on first use.
 */
export function stackSingleton<T extends Construct>(
  scope: IConstruct,
  id: string,
  type: abstract new (...args: never[]) => T,
  create: (stack: Stack, id: string) => T,
): T {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(id);
  return existing instanceof type ? existing : create(stack, id);
}
