import { afterEach, describe, expect, it } from 'vitest';
import { createExecutor } from './executor.js';
import { renderParamValue, TemplateError, templateScope } from './render-templates.js';
import { dagRequest } from './test-fixtures/requests.js';
import type { TaskExecutor } from './types.js';

// The trigger-backed paths (child succeeds, fails, times out, nests) run against the real local trigger
// in packages/runner (run-dag-task.test.ts), since a DagTrigger worth testing against runs DAGs.

let executor: TaskExecutor | undefined;
afterEach(async () => {
  await executor?.close();
  executor = undefined;
});

describe('dag tasks in the executor', () => {
  it('fails for good, saying how to configure one, when the executor has no DAG trigger', async () => {
    executor = createExecutor();
    const result = await executor.execute(dagRequest('child'));
    expect(result.outcome).toBe('failed');
    expect(result.error).toMatchObject({ type: 'DagTriggerNotConfigured', retryable: false });
    expect(result.error?.message).toMatch(
      /^task 'trigger' is a dag task, but .*'dags' trigger.*TRIBUTARY_SERVER/,
    );
  });

  it('fails with a TemplateError before triggering anything when a param names no value', async () => {
    executor = createExecutor();
    const result = await executor.execute(dagRequest('child', { params: { day: '{{ inputs.a.day }}' } }));
    expect(result.error).toMatchObject({
      type: 'TemplateError',
      retryable: false,
      details: { field: 'params.day' },
    });
  });
});

describe('renderParamValue', () => {
  const scope = templateScope(
    dagRequest('child', {}, { params: { day: '2026-01-02' }, inputs: { a: { n: 3, list: [1, 2] } } }),
  );

  it('keeps the JSON type of a value that is one template alone, and renders text otherwise', () => {
    expect(renderParamValue('{{ inputs.a.n }}', scope)).toBe(3);
    expect(renderParamValue('{{ inputs.a.list }}', scope)).toEqual([1, 2]);
    expect(renderParamValue('n={{ inputs.a.n }} on {{ params.day }}', scope)).toBe('n=3 on 2026-01-02');
    expect(renderParamValue('plain', scope)).toBe('plain');
  });

  it('throws a TemplateError for a name without a value', () => {
    expect(() => renderParamValue('{{ inputs.a.missing }}', scope)).toThrow(TemplateError);
  });
});
