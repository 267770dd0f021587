import { Code, type Problem, TributaryError } from '@tributary/core';

/** An INVALID_ARGUMENT error naming the request field at fault. */
export function invalid(field: string, message: string): TributaryError {
  const problem: Problem = { field, message };
  return new TributaryError(Code.InvalidArgument, `${field} ${message}`, { problems: [problem] });
}
