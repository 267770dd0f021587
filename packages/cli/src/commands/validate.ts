import { formatProblem, type Problem } from '@tributary/core';
import { type DagModel, loadDagFolder } from '@tributary/spec';
import { reportError } from '../errors.js';
import { type CommandIo, EXIT_FAILED, EXIT_OK } from '../io.js';

/** The result of checking one DAG folder. */
export interface CheckedDag {
  model?: DagModel;
  problems: Problem[];
}

/**
 * Loads and validates one DAG folder (or spec file), printing `ok: <dag> (<n> tasks)` or every
 * problem as `file:line:col: task 'x', field 'y': message`. Deploy shares it, so both print alike.
 */
export async function checkDag(path: string, io: CommandIo): Promise<CheckedDag> {
  const result = await loadDagFolder(path);
  if (result.problems.length > 0 || result.model === undefined) {
    for (const problem of result.problems) io.out(`${formatProblem(problem)}\n`);
    return { problems: result.problems };
  }
  io.out(`ok: ${result.model.name} (${result.model.tasks.length} tasks)\n`);
  return { model: result.model, problems: [] };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** `tributary validate <path...>`: exit 0 when every DAG is valid, 1 when any has a problem. */
export async function validateCommand(paths: readonly string[], io: CommandIo): Promise<number> {
  let problems = 0;
  let broken = 0;
  try {
    for (const path of paths) {
      const checked = await checkDag(path, io);
      if (checked.model === undefined) broken += 1;
      problems += checked.problems.length;
    }
  } catch (error) {
    return Math.max(EXIT_FAILED, reportError(io, error));
  }
  if (broken === 0) return EXIT_OK;
  io.out(`${plural(problems, 'problem')} in ${plural(broken, 'DAG')}\n`);
  return EXIT_FAILED;
}
