import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The shape of a fault scenario's DAG. */
export interface LoadDagOptions {
  /** Parallel chains between `start` and `join`. */
  chains: number;
  /** Tasks per chain. */
  length: number;
  /** How long each task sleeps, in ms. */
  taskMs: number;
  /** Pools the chains are pinned to, round-robin. @default ['default'] */
  pools?: readonly string[];
  /** Retries of every task (lost attempts use them up). @default 10 */
  retries?: number;
  /** @default '0s' */
  retryDelay?: string;
}

/** A DAG folder written to a temp dir, and what it holds. */
export interface LoadDag {
  dir: string;
  name: string;
  /** Every task of the DAG: start, the chains' tasks and join. */
  taskCount: number;
}

/**
 * The variable naming a file each execution appends lines to, when set: `<task> <attempt> <pid> start`
 * as it starts and `... end` as it returns.
 */
export const EXECUTION_LOG_VARIABLE = 'TRIBUTARY_FAULT_EXECUTION_LOG';

// Each task reports the attempt it ran as, so the audit can tell a stale attempt's result apart, and
// logs its execution where the test asks, so it can tell how often an attempt ran.
const TASKS_MODULE = `import { appendFileSync } from 'node:fs';
const log = (ctx, phase) => {
  const file = process.env.${EXECUTION_LOG_VARIABLE};
  if (file) appendFileSync(file, \`\${ctx.taskId} \${ctx.attempt} \${process.pid} \${phase}\\n\`);
};
export async function run(ctx) {
  log(ctx, 'start');
  await new Promise((resolve) => setTimeout(resolve, Number(ctx.params.task_ms)));
  log(ctx, 'end');
  return { attempt: ctx.attempt };
}
`;

/**
 * Writes the fault suite's DAG: a `start` task fanning out into `chains` chains of `length` short node
 * tasks, joined again by `join`. Fan-out keeps every worker busy; chains keep the run going long enough
 * to inject faults into it.
 */
export async function writeLoadDag(name: string, options: LoadDagOptions): Promise<LoadDag> {
  const dir = await mkdtemp(join(tmpdir(), `tributary-${name}-`));
  const pools = options.pools ?? ['default'];
  const lines = [
    `name: ${name}`,
    'params:',
    `  task_ms: { type: integer, default: ${options.taskMs} }`,
    'defaults:',
    `  retries: ${options.retries ?? 10}`,
    `  retry_delay: ${options.retryDelay ?? '0s'}`,
    'tasks:',
    '  start: { kind: node, module: ./tasks.mjs }',
  ];
  const ends: string[] = [];
  for (let c = 0; c < options.chains; c++) {
    const pool = pools[c % pools.length];
    for (let i = 0; i < options.length; i++) {
      const id = `c${c}_${i}`;
      const need = i === 0 ? 'start' : `c${c}_${i - 1}`;
      lines.push(`  ${id}: { kind: node, module: ./tasks.mjs, pool: ${pool}, needs: [${need}] }`);
    }
    ends.push(`c${c}_${options.length - 1}`);
  }
  lines.push(`  join: { kind: node, module: ./tasks.mjs, needs: [${ends.join(', ')}] }`);
  await writeFile(join(dir, 'dag.yaml'), `${lines.join('\n')}\n`);
  await writeFile(join(dir, 'tasks.mjs'), TASKS_MODULE);
  return { dir, name, taskCount: options.chains * options.length + 2 };
}
