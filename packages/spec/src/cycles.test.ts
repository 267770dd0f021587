import { describe, expect, it } from 'vitest';
import { findCycles } from './cycles.js';

const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

describe('findCycles', () => {
  it('finds no cycle in a DAG', () => {
    expect(findCycles(graph({ a: [], b: ['a'], c: ['a', 'b'] }))).toEqual([]);
  });

  it('prints a cycle in run order starting at its first declared task', () => {
    // b needs a, c needs b, a needs c: a runs before b, b before c, c before a.
    expect(findCycles(graph({ a: ['c'], b: ['a'], c: ['b'] }))).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('reports a task that needs itself', () => {
    expect(findCycles(graph({ a: ['a'], b: ['a'] }))).toEqual([['a', 'a']]);
  });

  it('reports each separate cycle once', () => {
    const cycles = findCycles(graph({ a: ['b'], b: ['a'], c: ['d'], d: ['c'], e: ['a', 'c'] }));
    expect(cycles).toEqual([
      ['a', 'b', 'a'],
      ['c', 'd', 'c'],
    ]);
  });

  it('reports one shortest cycle for a tangled group', () => {
    const cycles = findCycles(graph({ a: ['c', 'b'], b: ['a'], c: ['b'] }));
    expect(cycles).toEqual([['a', 'b', 'a']]);
  });
});
