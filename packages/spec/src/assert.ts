import { Code, TributaryError } from '@tributary/core';
import type { DagModel } from './model.js';
import type { DagParseResult } from './parse.js';

/**
 * The model of a parse result that has no problems.
 *
 * @throws TributaryError with `Code.InvalidArgument`, message `<n> problems in <file>` and every
 *   problem in `problems`, when there are problems
 */
export function assertValid(result: DagParseResult): DagModel {
  const { problems, model } = result;
  if (problems.length === 0 && model !== undefined) return model;
  const file = problems.find((problem) => problem.position !== undefined)?.position?.file ?? 'the DAG spec';
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return throwProblems(`${count} in ${file}`, problems);
}

function throwProblems(message: string, problems: DagParseResult['problems']): never {
  throw new TributaryError(Code.InvalidArgument, message, { problems });
}
