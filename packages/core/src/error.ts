import { Code, codeName } from './code.js';

/** Where in a source file a problem is. Lines and columns are 1-based. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** One problem found in user input: what is wrong and where. */
export interface Problem {
  message: string;
  /** Where in the DAG spec, when the input came from a file. */
  position?: SourcePosition;
  /** The task the problem belongs to, if any. */
  taskId?: string;
  /** The field, as a dotted path (`tasks.extract.needs`, `params.date`). */
  field?: string;
}

/** Formats a problem the way compilers do: `file:line:col: task 'x', field 'y': message`. */
export function formatProblem(problem: Problem): string {
  const where = problem.position
    ? `${problem.position.file}:${problem.position.line}:${problem.position.column}: `
    : '';
  const about = [
    problem.taskId === undefined ? undefined : `task '${problem.taskId}'`,
    problem.field === undefined ? undefined : `field '${problem.field}'`,
  ].filter((part) => part !== undefined);
  return `${where}${about.length > 0 ? `${about.join(', ')}: ` : ''}${problem.message}`;
}

export interface TributaryErrorOptions {
  cause?: unknown;
  /** Every problem, when the error is about user input. */
  problems?: Problem[];
}

/**
 * The project's one error type. Its code is a gRPC status code, so the API maps it 1:1.
 * Subclass only where callers branch on the type.
 */
export class TributaryError extends Error {
  override name = 'TributaryError';
  readonly code: Code;
  readonly problems: Problem[];

  constructor(code: Code, message: string, options: TributaryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.problems = options.problems ?? [];
  }

  /** Turns anything thrown into a TributaryError, keeping the original as `cause`. */
  static from(error: unknown, fallback: Code = Code.Unknown): TributaryError {
    if (error instanceof TributaryError) return error;
    if (error instanceof Error) return new TributaryError(fallback, error.message, { cause: error });
    return new TributaryError(fallback, String(error), { cause: error });
  }

  /** `[invalid_argument] message`, plus one line per problem. */
  override toString(): string {
    return [`[${codeName(this.code)}] ${this.message}`, ...this.problems.map(formatProblem)].join('\n');
  }
}
