import { basename } from 'node:path';
import type { Problem } from '@tributary/core';
import { isMap, LineCounter, parseDocument, type YAMLError } from 'yaml';
import { buildModel, type ReadSpec } from './build-model.js';
import { TOP_FIELDS } from './fields.js';
import type { DagModel } from './model.js';
import { positionAt, report, type SpecContext } from './positions.js';
import { readFields } from './read-fields.js';
import { readParams } from './read-params.js';
import { readDefaults, readTasks } from './read-tasks.js';
import { readTriggers } from './read-triggers.js';
import { describeNode, readValue } from './read-values.js';
import { checkSemantics } from './semantic-checks.js';
import { checkTriggerParams } from './trigger-params.js';

/** Options of {@link parseDagSpec}. */
export interface ParseDagSpecOptions {
  /** The path shown in problems; the model's `specFile` is its base name. */
  file: string;
  /**
   * The files of the DAG folder, relative to it, without `./` (`transform.ts`, `lib/x.ts`). When
   * given, a node task whose module is not among them is a problem.
   */
  files?: ReadonlySet<string>;
}

/** The outcome of parsing a spec: the model only when there are no problems. */
export interface DagParseResult {
  model?: DagModel;
  problems: Problem[];
}

function syntaxProblem(ctx: SpecContext, error: YAMLError): Problem {
  // The parser's advice for several documents names its own API, which means nothing to a DAG author.
  const message =
    error.code === 'MULTIPLE_DOCS'
      ? "a spec holds one YAML document; remove the '---' separator"
      : `YAML syntax error: ${error.message}`;
  return { message, position: positionAt(ctx, error.pos[0]) };
}

/** Source order, as compilers list errors; problems on one spot keep the order they were found in. */
function byPosition(a: Problem, b: Problem): number {
  return (
    (a.position?.line ?? 0) - (b.position?.line ?? 0) || (a.position?.column ?? 0) - (b.position?.column ?? 0)
  );
}

/** Reads the structure of the spec, reporting problems as it goes; undefined when it has no root mapping. */
function readSpec(ctx: SpecContext): ReadSpec | undefined {
  const root = ctx.doc.contents ?? undefined;
  if (!isMap(root)) {
    report(
      ctx,
      root,
      `a DAG spec must be a mapping with at least 'name' and 'tasks' (got ${describeNode(root)})`,
    );
    return undefined;
  }
  const fields = readFields(ctx, root, { prefix: '', table: TOP_FIELDS, owner: root });
  const name = fields.has('name')
    ? readValue(ctx, 'dagName', fields.get('name')?.value, { field: 'name' })
    : undefined;
  const descriptionEntry = fields.get('description');
  const description =
    descriptionEntry && readValue(ctx, 'text', descriptionEntry.value, { field: 'description' });
  const defaultsEntry = fields.get('defaults');
  const tasksEntry = fields.get('tasks');
  const timeoutEntry = fields.get('dagrun_timeout');
  const dagrunTimeout =
    timeoutEntry && readValue(ctx, 'optionalDuration', timeoutEntry.value, { field: 'dagrun_timeout' });
  const limit = (field: string): number | null => {
    const entry = fields.get(field);
    const value = entry && readValue(ctx, 'limit', entry.value, { field });
    return typeof value === 'number' ? value : null;
  };
  const spec: ReadSpec = {
    name: typeof name === 'string' ? name : '',
    maxActiveTasks: limit('max_active_tasks'),
    maxActiveTasksPerRun: limit('max_active_tasks_per_run'),
    maxActiveRuns: limit('max_active_runs'),
    paramsSchema: readParams(ctx, fields.get('params')),
    dagrunTimeoutMs: typeof dagrunTimeout === 'number' ? dagrunTimeout : null,
    ...readTriggers(ctx, fields, typeof name === 'string' ? name : ''),
    defaults: defaultsEntry ? readDefaults(ctx, defaultsEntry) : {},
    tasks: tasksEntry ? readTasks(ctx, tasksEntry) : [],
  };
  checkTriggerParams(ctx, fields, spec.paramsSchema);
  if (typeof description === 'string') spec.description = description;
  return spec;
}

/**
 * Parses and validates one spec text. Never throws for bad input: every problem found (syntax aside,
 * all of them in one pass) is returned, each with its position, task id and field.
 */
export function parseDagSpec(text: string, options: ParseDagSpecOptions): DagParseResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const ctx: SpecContext = { file: options.file, doc, lineCounter, problems: [] };
  // After a syntax error the tree is a guess; checking it would mostly report the same error again.
  if (doc.errors.length > 0) return { problems: doc.errors.map((error) => syntaxProblem(ctx, error)) };
  const spec = readSpec(ctx);
  if (spec !== undefined) checkSemantics(ctx, spec.tasks, options.files);
  if (spec === undefined || ctx.problems.length > 0) return { problems: ctx.problems.sort(byPosition) };
  return { model: buildModel(spec, basename(options.file)), problems: [] };
}
