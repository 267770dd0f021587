/**
 * # @tributary/sdk
 *
 * What task code imports. No dependencies, so a DAG folder can depend on it without pulling in the
 * orchestrator.
 *
 * ```ts
 * import { type NodeTaskContext, SkipTask } from '@tributary/sdk';
 *
 * export async function run(ctx: NodeTaskContext) {
 *   const rows = await fetchRows(String(ctx.params.day), ctx.signal);
 *   if (rows.length === 0) ctx.skip('no rows for this day'); // or: throw new SkipTask('...')
 *   ctx.log.info('loaded %d rows', rows.length);
 *   return { rows: rows.length };
 * }
 * ```
 *
 * - {@link NodeTaskContext} is what a node task's exported function receives: params, upstream
 *   inputs, ids, the task's `env`, an `AbortSignal` for timeout and cancel, `log`, `skip` and
 *   `context`, the {@link RunContext} the run's tasks share.
 * - In an instance of a matrix task, `ctx.matrix` and `ctx.matrixIndex`; in an instance of a mapped
 *   task (`map: { over: ... }`), `ctx.mapIndex` and `ctx.mapItem`, its element of the list.
 * - {@link SkipTask}, thrown from task code (or `ctx.skip(reason)`), ends the task `skipped` rather
 *   than failed; the reason is kept with the task. A shell task skips by exiting with its
 *   `skip_exit_code` (99 unless set).
 * - {@link isSkipSignal} recognises a skip from any copy of this package, without `instanceof`.
 *
 * A node sensor's function returns exactly `false` while its condition does not hold; anything else
 * means it holds (`true` gives a `null` output, any other value is the output).
 *
 * @packageDocumentation
 */
export type { LogLevel, NodeTaskContext, RunContext, TaskLogger } from './context.js';
export type { JsonObject, JsonValue } from './json.js';
export { DEFAULT_SKIP_REASON, isSkipSignal, SKIP_TASK_NAME, SkipTask } from './skip.js';
