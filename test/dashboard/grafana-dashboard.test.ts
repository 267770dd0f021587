import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@tributary/core';
import type { Sql } from 'postgres';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createCoordinatorMetrics } from '../../services/coordinator/src/coordinator-metrics.js';
import { createWorkerMetrics } from '../../services/worker/src/worker-metrics.js';
import { REPO_ROOT } from '../e2e/cluster.js';

// The dashboard names metrics in PromQL strings that nothing else checks: renaming a metric, or a label,
// would leave a panel empty without anyone noticing. This test reads every query of the dashboard and
// checks each metric and each label it selects on against what the services register.

const DASHBOARD = join(REPO_ROOT, 'deploy', 'grafana', 'tributary-dashboard.json');
/** Labels Prometheus adds to every series of a target, and the bucket label of histograms. */
const TARGET_LABELS = new Set(['job', 'instance']);
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

interface Dashboard {
  templating: { list: { name: string; type: string; query?: unknown }[] };
  panels: { title: string; type: string; datasource?: { uid?: string }; targets?: { expr: string }[] }[];
}

/** Every exported series name (a histogram's `_bucket`, `_sum`, `_count` too) with its label names. */
async function exportedSeries(): Promise<Map<string, Set<string>>> {
  const coordinator = new Registry();
  createCoordinatorMetrics({
    registry: coordinator,
    isLeader: () => false,
    sql: {} as Sql,
    logger: silent,
    heartbeatTimeoutMs: 15_000,
  });
  const worker = new Registry();
  createWorkerMetrics({ registry: worker, pools: ['default'], concurrency: 1, running: () => 0 });
  const series = new Map<string, Set<string>>();
  for (const registry of [coordinator, worker]) {
    for (const metric of registry.getMetricsAsArray()) {
      // prom-client's declared types leave out what every metric object has: its label names and get().
      const { name, labelNames, get } = metric as unknown as {
        name: string;
        labelNames?: string[];
        get(): Promise<{ type: string }>;
      };
      const { type } = await get.call(metric);
      const labels = new Set(labelNames ?? []);
      series.set(name, labels);
      if (type === 'histogram') {
        series.set(`${name}_bucket`, new Set([...labels, 'le']));
        series.set(`${name}_sum`, labels);
        series.set(`${name}_count`, labels);
      }
    }
  }
  // Default metrics whose names prom-client derives at collect time (e.g. `nodejs_eventloop_lag_p99_seconds`).
  for (const text of [await coordinator.metrics(), await worker.metrics()]) {
    for (const match of text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)/gm))
      if (!series.has(match[1]!)) series.set(match[1]!, new Set());
  }
  return series;
}

/** Metric names in a PromQL expression, each with the label names its selector uses. */
function selectors(expr: string): { name: string; labels: string[] }[] {
  const found: { name: string; labels: string[] }[] = [];
  // Names of the services' metric families only: PromQL functions and keywords never start like these.
  for (const match of expr.matchAll(/\b((?:tributary|process|nodejs)_[a-zA-Z0-9_]*)(\{[^}]*\})?/g)) {
    const labels = [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map(
      (m) => m[1]!,
    );
    found.push({ name: match[1]!, labels });
  }
  return found;
}

/** `by (a, b)` and `without (a)` label lists. */
function groupingLabels(expr: string): string[] {
  return [...expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) =>
    m[1]!
      .split(',')
      .map((label) => label.trim())
      .filter((label) => label !== ''),
  );
}

describe('the Grafana dashboard', () => {
  it('names only metrics and labels that the coordinator and the worker export', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as Dashboard;
    const series = await exportedSeries();
    const queries = [
      ...dashboard.panels.flatMap((panel) =>
        (panel.targets ?? []).map((target) => ({ where: `panel '${panel.title}'`, expr: target.expr })),
      ),
      ...dashboard.templating.list
        .filter((variable) => variable.type === 'query')
        .map((variable) => ({
          where: `variable '${variable.name}'`,
          expr: (variable.query as { query: string }).query,
        })),
    ];
    expect(queries.length).toBeGreaterThan(20);
    const problems: string[] = [];
    for (const { where, expr } of queries) {
      const named = selectors(expr);
      if (named.length === 0) problems.push(`${where} names no metric: ${expr}`);
      const known = new Set<string>(TARGET_LABELS);
      for (const { name, labels } of named) {
        const exported = series.get(name);
        if (exported === undefined) {
          problems.push(`${where} names ${name}, which no service exports`);
          continue;
        }
        for (const label of exported) known.add(label);
        for (const label of labels)
          if (!exported.has(label) && !TARGET_LABELS.has(label))
            problems.push(`${where} selects ${name} on label '${label}', which it does not have`);
      }
      for (const label of groupingLabels(expr))
        if (!known.has(label)) problems.push(`${where} groups by '${label}', which none of its metrics has`);
    }
    expect(problems).toEqual([]);
  });

  it('picks its Prometheus data source from a variable, as every panel uses', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as Dashboard;
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
    const variable = '${datasource}';
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row'))
      expect(panel.datasource?.uid, panel.title).toBe(variable);
  });
});
