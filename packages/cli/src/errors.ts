import { Code, codeName, formatProblem, TributaryError } from '@tributary/core';
import { type CommandIo, EXIT_FAILED, EXIT_USAGE } from './io.js';

/**
 * Prints an error as `error: [code_name] message` and one line per problem, and returns the exit code:
 * 2 for invalid input (it is the user's to fix), 1 for anything else.
 */
export function reportError(io: Pick<CommandIo, 'err'>, error: unknown): number {
  const failure = TributaryError.from(error);
  io.err(`error: [${codeName(failure.code)}] ${failure.message}\n`);
  for (const problem of failure.problems) io.err(`  ${formatProblem(problem)}\n`);
  return failure.code === Code.InvalidArgument ? EXIT_USAGE : EXIT_FAILED;
}
