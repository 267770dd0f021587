import { describe, expect, it } from 'vitest';
import { parseDagSpec } from './parse.js';

const parse = (text: string) => parseDagSpec(text, { file: 'dag.yaml' });
const problemsOf = (text: string) => parse(text).problems.map((p) => `${p.position?.line}: ${p.message}`);

describe('task semantics in the spec', () => {
  it('compiles trigger rules, backoff, branch, sensor, skip exit code and dagrun_timeout', () => {
    const { model, problems } = parse(`
name: x
dagrun_timeout: 1h
defaults:
  retry_backoff: exponential
  max_retry_delay: 10m
tasks:
  choose: { kind: shell, command: echo a, branch: true, skip_exit_code: 3 }
  a: { kind: shell, command: 'true', needs: choose }
  wait:
    kind: node
    module: ./wait.ts
    sensor: { mode: reschedule, interval: 30s, timeout: 2h, soft_fail: true }
  join: { kind: shell, command: 'true', needs: [a, wait], trigger_rule: none_failed_min_one_success, retry_jitter: false }
`);
    expect(problems).toEqual([]);
    expect(model?.dagrunTimeoutMs).toBe(3_600_000);
    const [choose, , wait, join] = model!.tasks;
    expect(choose).toMatchObject({
      branch: true,
      skipExitCode: 3,
      retryBackoff: 'exponential',
      retryJitter: true,
    });
    expect(choose?.maxRetryDelayMs).toBe(600_000);
    expect(wait?.sensor).toEqual({
      mode: 'reschedule',
      intervalMs: 30_000,
      timeoutMs: 7_200_000,
      softFail: true,
    });
    expect(join).toMatchObject({ triggerRule: 'none_failed_min_one_success', retryJitter: false });
  });

  it('gives a sensor written as an empty mapping every default', () => {
    const { model } = parse('name: x\ntasks:\n  wait: { kind: shell, command: test -e f, sensor: {} }\n');
    expect(model?.tasks[0]?.sensor).toEqual({
      mode: 'poke',
      intervalMs: 60_000,
      timeoutMs: 604_800_000,
      softFail: false,
    });
  });

  it('names an unknown trigger rule with a suggestion and the choices', () => {
    expect(
      problemsOf('name: x\ntasks:\n  a: { kind: shell, command: date, trigger_rule: all_sucess }\n'),
    ).toEqual([
      "3: unknown trigger rule 'all_sucess' (did you mean 'all_success'?); use one of: all_success, all_failed, all_done, all_done_min_one_success, all_skipped, one_success, one_failed, one_done, none_failed, none_failed_min_one_success, none_skipped, always",
    ]);
  });

  it('reports bad sensor settings at their own line', () => {
    const problems = problemsOf(`name: x
tasks:
  wait:
    kind: shell
    command: date
    sensor:
      mode: sometimes
      intervall: 5s
`);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^7: unknown sensor mode 'sometimes'/);
    expect(problems[1]).toMatch(/^8: unknown field 'intervall' \(did you mean 'interval'\?\)/);
  });

  it('rejects a branch without downstream tasks and a branch that is also a sensor', () => {
    expect(
      problemsOf('name: x\ntasks:\n  a: { kind: shell, command: date, branch: true, sensor: {} }\n'),
    ).toEqual([
      '3: a branch task needs downstream tasks to choose from; none needs it',
      '3: a task cannot be both a branch and a sensor',
    ]);
  });

  it('rejects a skip exit code outside 1..255 and a non-boolean branch', () => {
    const problems = problemsOf(
      'name: x\ntasks:\n  a: { kind: shell, command: date, skip_exit_code: 0 }\n  b: { kind: shell, command: date, branch: yes }\n',
    );
    expect(problems).toEqual([
      '3: must be an exit code from 1 to 255 (got 0)',
      "4: must be true or false (got 'yes')",
    ]);
  });

  it('compiles the DAG-wide and per-run task limits and the run limit, each defaulting to none', () => {
    const { model } = parse(
      'name: x\nmax_active_tasks: 8\nmax_active_tasks_per_run: 4\nmax_active_runs: 1\ntasks:\n  a: { kind: shell, command: date }\n',
    );
    expect(model).toMatchObject({ maxActiveTasks: 8, maxActiveTasksPerRun: 4, maxActiveRuns: 1 });
    const { model: unlimited } = parse(
      'name: x\nmax_active_tasks: 3\ntasks:\n  a: { kind: shell, command: date }\n',
    );
    expect(unlimited).toMatchObject({ maxActiveTasks: 3, maxActiveTasksPerRun: null, maxActiveRuns: null });
  });

  it('rejects a limit below 1, naming the field', () => {
    expect(problemsOf('name: x\nmax_active_runs: 0\ntasks:\n  a: { kind: shell, command: date }\n')).toEqual([
      '2: must be a whole number of at least 1, or null for no limit (got 0)',
    ]);
    const { problems } = parse(
      'name: x\nmax_active_tasks_per_run: -1\ntasks:\n  a: { kind: shell, command: date }\n',
    );
    expect(problems.map((p) => [p.position?.line, p.field])).toEqual([[2, 'max_active_tasks_per_run']]);
  });
});
