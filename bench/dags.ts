import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One task line of a generated spec. */
interface TaskLine {
  id: string;
  needs?: readonly string[];
  /** @default a no-op node task */
  body?: string;
}

const NOOP_NODE = 'kind: node, module: ./noop.mjs';
const NOOP_SHELL = "kind: shell, command: 'true'";

/** Writes `<root>/<name>/dag.yaml` (one flow-style line per task) and the task modules; returns the folder. */
async function writeDag(root: string, name: string, tasks: readonly TaskLine[]): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  const lines = [`name: ${name}`, 'tasks:'];
  for (const task of tasks) {
    const needs = task.needs === undefined ? '' : `, needs: [${task.needs.join(', ')}]`;
    lines.push(`  ${task.id}: { ${task.body ?? NOOP_NODE}${needs} }`);
  }
  await writeFile(join(dir, 'dag.yaml'), `${lines.join('\n')}\n`);
  await writeFile(join(dir, 'noop.mjs'), 'export function run() {\n  return null;\n}\n');
  return dir;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** `t0 … t<n-1>`, none needing another. */
export function writeIndependentDag(root: string, name: string, n: number): Promise<string> {
  return writeDag(
    root,
    name,
    range(n).map((i) => ({ id: `t${i}` })),
  );
}

/** `c0 … c<n-1>`, each needing the previous. */
export function writeChainDag(root: string, name: string, n: number): Promise<string> {
  return writeDag(
    root,
    name,
    range(n).map((i) => (i === 0 ? { id: 'c0' } : { id: `c${i}`, needs: [`c${i - 1}`] })),
  );
}

/** `start` → `f0 … f<n-1>` → `join`. */
export function writeFanDag(root: string, name: string, n: number): Promise<string> {
  const fan = range(n).map((i) => ({ id: `f${i}`, needs: ['start'] }));
  return writeDag(root, name, [{ id: 'start' }, ...fan, { id: 'join', needs: fan.map((task) => task.id) }]);
}

/** `list` returns `{ items: [0 … n-1] }`, `each` maps over them (a no-op node task), `join` needs `each`. */
export async function writeMapDag(root: string, name: string, n: number): Promise<string> {
  const dir = await writeDag(root, name, [
    { id: 'list', body: 'kind: node, module: ./list.mjs' },
    { id: 'each', needs: ['list'], body: `${NOOP_NODE}, map: { over: inputs.list.items }` },
    { id: 'join', needs: ['each'] },
  ]);
  await writeFile(
    join(dir, 'list.mjs'),
    `export function run() {\n  return { items: Array.from({ length: ${n} }, (_, i) => i) };\n}\n`,
  );
  return dir;
}

/** How many tasks {@link writeMixedDag} writes. */
export const MIXED_DAG_TASKS = 20;

/**
 * Twenty tasks in five layers: `root`, three layers of six tasks each needing every task of the layer
 * before, and `join`; the first task of each middle layer, and `join`, are shell tasks (`true`).
 */
export function writeMixedDag(root: string, name: string): Promise<string> {
  const tasks: TaskLine[] = [{ id: 'root' }];
  let previous = ['root'];
  for (const layer of [1, 2, 3]) {
    const ids = range(6).map((i) => `l${layer}_${i}`);
    tasks.push(...ids.map((id, i) => ({ id, needs: previous, ...(i === 0 ? { body: NOOP_SHELL } : {}) })));
    previous = ids;
  }
  tasks.push({ id: 'join', needs: previous, body: NOOP_SHELL });
  return writeDag(root, name, tasks);
}
