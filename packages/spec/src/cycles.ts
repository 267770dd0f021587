/**
 * Finds the cycles of a task graph, each reported once. A task that needs itself is one cycle; for
 * every other strongly connected group of tasks, one shortest cycle through the group's first task
 * (in declaration order) is reported: it names the tasks to look at without listing the
 * exponentially many cycles a tangled group can hold.
 *
 * @param needs task ids in declaration order, each with the ids it needs (unknown ids left out)
 * @returns cycles in run order, `[a, b, c, a]` meaning b needs a, c needs b and a needs c
 */
export function findCycles(needs: ReadonlyMap<string, readonly string[]>): string[][] {
  const order = new Map([...needs.keys()].map((id, index) => [id, index]));
  const cycles: string[][] = [];
  for (const [id, upstream] of needs) if (upstream.includes(id)) cycles.push([id, id]);
  for (const group of stronglyConnected(needs)) {
    if (group.length < 2) continue;
    const start = group.reduce((a, b) => ((order.get(a) ?? 0) <= (order.get(b) ?? 0) ? a : b));
    cycles.push(shortestCycle(needs, new Set(group), start));
  }
  return cycles.sort((a, b) => (order.get(a[0] ?? '') ?? 0) - (order.get(b[0] ?? '') ?? 0));
}

/** Tarjan's algorithm over the `needs` edges; self-edges are ignored. */
function stronglyConnected(needs: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (id: string): void => {
    index.set(id, index.size);
    low.set(id, index.get(id) ?? 0);
    stack.push(id);
    onStack.add(id);
    for (const next of needs.get(id) ?? []) {
      if (next === id || !needs.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(id, Math.min(low.get(id) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(id, Math.min(low.get(id) ?? 0, index.get(next) ?? 0));
      }
    }
    if (low.get(id) !== index.get(id)) return;
    const group: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      group.push(member);
    } while (member !== id);
    groups.push(group);
  };
  for (const id of needs.keys()) if (!index.has(id)) visit(id);
  return groups;
}

/** Breadth-first from `start` along run order (to the tasks that need the current one) back to `start`. */
function shortestCycle(
  needs: ReadonlyMap<string, readonly string[]>,
  group: Set<string>,
  start: string,
): string[] {
  const downstream = (id: string) =>
    [...group].filter((other) => other !== id && needs.get(other)?.includes(id));
  const previous = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const current = queue[head] as string;
    for (const next of downstream(current)) {
      if (next === start) return [...pathTo(previous, current, start), start];
      if (previous.has(next)) continue;
      previous.set(next, current);
      queue.push(next);
    }
  }
  return [start, start];
}

function pathTo(previous: ReadonlyMap<string, string>, end: string, start: string): string[] {
  const path = [end];
  for (let id = end; id !== start; ) {
    id = previous.get(id) ?? start;
    path.unshift(id);
  }
  return path;
}
