import { type Database, latestAfterLists } from '@tributary/db';
import type { AfterModel } from '@tributary/spec';

/**
 * Which DAGs wait (`after`) for which task of which DAG, from the latest version of every DAG. The run
 * loop asks it for each task success. The scheduler reloads it each pass, and the leader as soon as it
 * registers a version itself: a deployment's `after` counts from then on (within a second when another
 * coordinator registered it).
 */
export class AfterIndex {
  #waiting = new Map<string, string[]>();

  /** Replaces the index with these DAGs' `after` lists. */
  update(dags: readonly { dag: string; after: readonly AfterModel[] }[]): void {
    const waiting = new Map<string, string[]>();
    for (const { dag, after } of dags) {
      for (const source of after) {
        const key = sourceKey(source.dag, source.task);
        waiting.set(key, [...(waiting.get(key) ?? []), dag]);
      }
    }
    this.#waiting = waiting;
  }

  /** Reloads the index from the latest version of every DAG; resolves with what it read. */
  async reload(db: Database): Promise<{ dag: string; after: AfterModel[] }[]> {
    const lists = await latestAfterLists(db.sql);
    this.update(lists);
    return lists;
  }

  get isEmpty(): boolean {
    return this.#waiting.size === 0;
  }

  /** The DAGs whose `after` names this task of this DAG. */
  waitingFor(dag: string, task: string): readonly string[] {
    return this.#waiting.get(sourceKey(dag, task)) ?? [];
  }
}

function sourceKey(dag: string, task: string): string {
  return `${dag}\u0000${task}`;
}
