import type { Failure, JsonValue } from '@tributary/core';
import type { Plan } from './plan.js';

/** The direct downstream tasks a branch chose to follow, or why its output is not a choice. */
export type BranchChoice = { follow: ReadonlySet<string> } | { error: Failure };

/**
 * Reads a branch task's output: the id, or a list of ids, of direct downstream tasks to follow (an
 * empty list follows none, as in Airflow). Anything else is the task's failure, not the engine's: the
 * message names the task and what it returned, so the author can fix the branch code.
 */
export function readBranchChoice(plan: Plan, taskId: string, output: JsonValue): BranchChoice {
  const ids = typeof output === 'string' ? [output] : output;
  const downstream = plan.downstream(taskId);
  if (!Array.isArray(ids) || !ids.every((id): id is string => typeof id === 'string')) {
    return invalid(
      taskId,
      `branch task '${taskId}' must return a downstream task id or a list of them, got ${describeValue(output)}`,
    );
  }
  const unknown = ids.filter((id) => !downstream.includes(id));
  if (unknown.length > 0) {
    return invalid(
      taskId,
      `branch task '${taskId}' chose ${unknown.map((id) => `'${id}'`).join(', ')}, which ${unknown.length === 1 ? 'is' : 'are'} not among its direct downstream tasks (${downstream.join(', ')})`,
    );
  }
  return { follow: new Set(ids) };
}

function invalid(taskId: string, message: string): BranchChoice {
  return { error: { type: 'InvalidBranch', message, retryable: false, details: { taskId } } };
}

/** A task's value as its failure message quotes it: JSON, cut at 80 characters. */
export function describeValue(value: JsonValue): string {
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
