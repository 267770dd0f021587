import { Code, type JsonObject, type Problem, type SourcePosition, TributaryError } from '@tributary/core';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';

/** Finds where a param problem's field (`params.storage.bucket`) is written; undefined when it is not. */
export type ParamLocator = (field: string) => SourcePosition | undefined;

/** A params file, parsed. */
export interface ParamsFile {
  /** The params it sets. */
  params: JsonObject;
  /** Where each of them is written, for problems found later against the DAG's params schema. */
  locate: ParamLocator;
}

/** The position of a node's first character, 1-based. */
function positionOf(file: string, lines: LineCounter, offset: number): SourcePosition {
  const { line, col } = lines.linePos(offset);
  return { file, line, column: col };
}

/** One step down from a map or sequence; `take` is how many dotted segments the step used. */
function step(
  node: unknown,
  segments: readonly string[],
): { key: Node; value: unknown; take: number } | undefined {
  if (isMap(node)) {
    // Longest first: a key may itself contain dots, which the field's dotted path cannot tell apart.
    for (let take = segments.length; take >= 1; take--) {
      const name = segments.slice(0, take).join('.');
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === name);
      if (pair !== undefined) return { key: pair.key as Node, value: pair.value, take };
    }
    return undefined;
  }
  const index = Number(segments[0]);
  if (isSeq(node) && Number.isInteger(index)) {
    const item = node.items[index];
    return isScalar(item) || isMap(item) || isSeq(item) ? { key: item, value: item, take: 1 } : undefined;
  }
  return undefined;
}

/**
 * Parses a params file (YAML, so JSON too) that must hold a mapping.
 *
 * @throws TributaryError `InvalidArgument` with one problem per syntax error, each at `file:line:col`,
 *   or naming the file when the document is not a mapping.
 */
export function parseParamsFile(text: string, file: string): ParamsFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map(
      (error): Problem => ({ message: error.message, position: positionOf(file, lines, error.pos[0]) }),
    );
    const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    throw new TributaryError(Code.InvalidArgument, `${file} is not valid YAML (${count})`, { problems });
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (error) {
    // yaml throws when aliases expand too far: bad input, not a crash.
    throw new TributaryError(Code.InvalidArgument, `${file}: ${(error as Error).message}`, { cause: error });
  }
  const locate: ParamLocator = (field) => {
    const segments = field.split('.');
    if (segments.shift() !== 'params') return undefined;
    let node: unknown = doc.contents;
    let found: Node | undefined;
    while (segments.length > 0) {
      const next = step(node, segments);
      if (next === undefined) break;
      found = next.key;
      node = next.value;
      segments.splice(0, next.take);
    }
    // A missing key is reported at the nearest enclosing one that is there.
    return found?.range === undefined || found.range === null
      ? undefined
      : positionOf(file, lines, found.range[0]);
  };
  // An empty file (or one of comments only, like an untouched form without params) means no params.
  if (value === null || value === undefined) return { params: {}, locate };
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new TributaryError(Code.InvalidArgument, `${file}: params must be a mapping of names to values`);
  }
  return { params: value as JsonObject, locate };
}

/**
 * Gives the problems of an error that name a param (`params.<name>...`) and have no position the
 * place where `locate` finds them written. Other errors come back as they were.
 */
export function placeParamProblems(error: unknown, locate: ParamLocator): unknown {
  if (!(error instanceof TributaryError) || error.problems.length === 0) return error;
  let placed = false;
  const problems = error.problems.map((problem): Problem => {
    if (problem.position !== undefined || problem.field === undefined) return problem;
    const position = locate(problem.field);
    if (position === undefined) return problem;
    placed = true;
    return { ...problem, position };
  });
  if (!placed) return error;
  return new TributaryError(error.code, error.message, { cause: error, problems });
}
