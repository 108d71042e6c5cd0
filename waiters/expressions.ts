import { compile, type JSONValue, TreeInterpreter } from '@jmespath-community/jmespath';

/** A compiled JMESPath expression. */
export type Expression = ReturnType<typeof compile>;

// Compiled expressions by source text: the same argument recurs across acceptors, waiters and polls.
const cache = new Map<string, Expression>();

/** Compiles a JMESPath expression once; throws the library's syntax error for an invalid one. */
export function compileExpression(source: string): Expression {
  let expression = cache.get(source);
  if (expression === undefined) {
    expression = compile(source);
    cache.set(source, expression);
  }
  return expression;
}

export function searchExpression(expression: Expression, data: unknown): unknown {
  return TreeInterpreter.search(expression, data as JSONValue);
}
