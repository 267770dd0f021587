import type { JsonObject } from '@tributary/core';
import type { Sql } from 'postgres';

export interface DagVersionRow {
  dag: string;
  version: number;
  bundleHash: string;
  model: JsonObject;
  createdAt: Date;
}

export interface DagSummaryRow {
  latest: DagVersionRow;
  versionCount: number;
}

/**
 * Stores a DAG version unless this exact bundle is already a version of the DAG. Versions count up
 * from 1 per DAG; the DAG row is locked so that concurrent registrations number without gaps or clashes.
 */
export async function registerDagVersion(
  sql: Sql,
  input: { dag: string; bundleHash: string; model: JsonObject },
): Promise<{ version: DagVersionRow; created: boolean }> {
  return sql.begin(async (tx) => {
    await tx`INSERT INTO dags (name) VALUES (${input.dag}) ON CONFLICT (name) DO NOTHING`;
    await tx`SELECT name FROM dags WHERE name = ${input.dag} FOR UPDATE`;
    const [existing] = await tx<DagVersionRow[]>`
      SELECT dag, version, bundle_hash AS "bundleHash", model, created_at AS "createdAt"
      FROM dag_versions WHERE dag = ${input.dag} AND bundle_hash = ${input.bundleHash}`;
    if (existing) return { version: existing, created: false };
    const [inserted] = await tx<DagVersionRow[]>`
      INSERT INTO dag_versions (dag, version, bundle_hash, model)
      SELECT ${input.dag}, COALESCE(MAX(version), 0) + 1, ${input.bundleHash}, ${input.model as never}::jsonb
      FROM dag_versions WHERE dag = ${input.dag}
      RETURNING dag, version, bundle_hash AS "bundleHash", model, created_at AS "createdAt"`;
    return { version: inserted!, created: true };
  });
}

/** A version of a DAG; the latest when `version` is 0 or omitted. Null when there is none. */
export async function getDagVersion(sql: Sql, dag: string, version = 0): Promise<DagVersionRow | null> {
  const rows = await sql<DagVersionRow[]>`
    SELECT dag, version, bundle_hash AS "bundleHash", model, created_at AS "createdAt"
    FROM dag_versions
    WHERE dag = ${dag} AND (${version} = 0 OR version = ${version})
    ORDER BY version DESC LIMIT 1`;
  return rows[0] ?? null;
}

/** The number of a DAG's latest version; null when the DAG has none. */
export async function latestDagVersionNumber(sql: Sql, dag: string): Promise<number | null> {
  const rows = await sql<{ version: number | null }[]>`
    SELECT max(version) AS version FROM dag_versions WHERE dag = ${dag}`;
  return rows[0]?.version ?? null;
}

/** Every DAG with its latest version, by name. */
export async function listDagSummaries(sql: Sql): Promise<DagSummaryRow[]> {
  const rows = await sql<(DagVersionRow & { versionCount: number })[]>`
    SELECT DISTINCT ON (v.dag) v.dag, v.version, v.bundle_hash AS "bundleHash", v.model,
           v.created_at AS "createdAt", c.count::int AS "versionCount"
    FROM dag_versions v
    JOIN (SELECT dag, count(*) FROM dag_versions GROUP BY dag) c ON c.dag = v.dag
    ORDER BY v.dag, v.version DESC`;
  return rows.map(({ versionCount, ...latest }) => ({ latest, versionCount }));
}
