import { describe, expect, it } from 'vitest';
import { createProgressRenderer } from './progress.js';

function render(color: boolean): string {
  const chunks: string[] = [];
  const renderer = createProgressRenderer({
    write: (text) => chunks.push(text),
    color,
    taskIds: ['flaky', 'report'],
  });
  renderer.event({ type: 'run', run: 'r1', dag: 'failing', state: 'running', at: 0 });
  renderer.event({ type: 'task', task: 'flaky', state: 'running', attempt: 3, at: 1 });
  // An earlier attempt's line: attempt 3's own tail is still shown below.
  renderer.event({ type: 'log', task: 'flaky', attempt: 2, stream: 'stdout', line: 'starting', at: 1 });
  renderer.event({
    type: 'task',
    task: 'flaky',
    state: 'failed',
    attempt: 3,
    at: 2,
    durationMs: 1500,
    error: { message: 'exited with code 3', type: 'ShellExitError', retryable: true },
    logTail: ['looking for the data', 'no data today'],
  });
  renderer.event({ type: 'task', task: 'report', state: 'upstream_failed', attempt: 0, at: 2 });
  renderer.summary({
    run: { id: 'r1', dag: 'failing', state: 'failed', startedAt: 0, finishedAt: 2500 },
    context: {},
    tasks: { flaky: { state: 'failed', attempts: 3 }, report: { state: 'upstream_failed', attempts: 0 } },
  });
  return chunks.join('');
}

describe('createProgressRenderer', () => {
  it('shows a failed task with its attempt, duration, error and indented log tail', () => {
    const lines = render(false).split('\n');
    expect(lines).toContain('✘ flaky        failed             attempt 3  1.50s');
    expect(lines).toContain('    ShellExitError: exited with code 3');
    expect(lines).toContain('    │ looking for the data');
    expect(lines).toContain('    │ no data today');
    expect(lines).toContain('⊘ report       upstream_failed');
  });

  it('ends with a summary line of the run state, counts per state and total time', () => {
    const output = render(false);
    expect(output.trimEnd().split('\n').at(-1)).toBe('✘ run failed: 1 failed, 1 upstream_failed in 2.50s');
  });

  it('shows log lines as tributary logs prints them, after their task', () => {
    expect(render(false).split('\n')).toContain('[flaky] 1970-01-01T00:00:00.001Z stdout starting');
  });

  it('leaves out the tail of a failed attempt whose lines were shown as they came', () => {
    const chunks: string[] = [];
    const renderer = createProgressRenderer({ write: (text) => chunks.push(text) });
    renderer.event({ type: 'log', task: 'flaky', attempt: 1, stream: 'stderr', line: 'no data', at: 1 });
    renderer.event({
      type: 'task',
      task: 'flaky',
      state: 'failed',
      attempt: 1,
      at: 2,
      error: { message: 'exited with code 3', type: 'ShellExitError', retryable: false },
      logTail: ['no data'],
    });
    const output = chunks.join('');
    expect(output.match(/no data/g)).toHaveLength(1);
    expect(output).toContain('ShellExitError: exited with code 3');
  });

  it('colours only when asked to', () => {
    expect(render(false)).not.toContain('\u001b[');
    expect(render(true)).toContain('\u001b[31m');
  });
});
