// An instance of a mapped task (`map: { over: ... }`) gets its index and item in every task kind:
// templates, the shell environment and the node context.
import type { JsonValue } from '@tributary/core';
import { type MapModel, mapInstanceModel, type SqlTaskModel } from '@tributary/spec';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createExecutor } from './executor.js';
import { renderSqlStatement, renderTaskTemplates, templateScope } from './render-templates.js';
import { buildShellEnv } from './shell-env.js';
import { assertBuilt } from './test-fixtures/ensure-built.js';
import { dagRequest, nodeRequest, shellRequest, sqlRequest } from './test-fixtures/requests.js';
import type { ExecutionRequest, TaskExecutor } from './types.js';

const MAP: MapModel = { over: 'inputs.list.files', upstream: 'list', path: ['files'] };

/** The request of instance `index` of `request`'s task, made as the engine makes it. */
function instanceOf(request: ExecutionRequest, index: number, item: JsonValue): ExecutionRequest {
  const task = mapInstanceModel({ ...request.task, map: MAP }, index, item);
  return { ...request, task, taskId: task.id };
}

describe('templates of a mapped instance', () => {
  it('exposes map.index and map.item in the scope, and no map in other tasks', () => {
    const instance = instanceOf(shellRequest('true', { id: 'process' }), 2, { path: 'c.csv' });
    expect(templateScope(instance).map).toEqual({ index: 2, item: { path: 'c.csv' } });
    expect(templateScope(shellRequest('true', { map: MAP })).map).toBeUndefined();
  });

  it('renders map values as quoted shell words in a command and raw in env values', () => {
    const request = shellRequest('./process.sh {{ map.item.path }} {{ map.index }} {{ map.item }}', {
      id: 'process',
      env: { ITEM: '{{ map.item.path }}', N: '{{ map.index }}' },
    });
    const task = renderTaskTemplates(instanceOf(request, 1, { path: "it's $(here).csv" }));
    expect(task).toMatchObject({
      id: 'process[1]',
      command: `./process.sh 'it'\\''s $(here).csv' '1' '{"path":"it'\\''s $(here).csv"}'`,
      env: { ITEM: "it's $(here).csv", N: '1' },
    });
  });

  it('binds map values as SQL parameters', () => {
    const request = sqlRequest('select * from t where id = {{ map.item.id }} offset {{ map.index }}');
    const instance = instanceOf(request, 4, { id: '1; drop table t' });
    expect(renderSqlStatement(instance, instance.task as SqlTaskModel)).toEqual({
      text: 'select * from t where id = $1 offset $2',
      values: ['1; drop table t', 4],
    });
  });

  it("renders a dag task's params from the item, keeping a lone template's type", () => {
    const request = dagRequest('child', {
      params: { day: '{{ map.item.day }}', n: '{{ map.index }}', raw: 1 },
    });
    const task = renderTaskTemplates(instanceOf(request, 3, { day: '2026-01-05' }));
    expect(task).toMatchObject({ id: 'trigger[3]', params: { day: '2026-01-05', n: 3, raw: 1 } });
  });

  it('says the task is not a mapped instance when a map name has no value', () => {
    const request = shellRequest('echo {{ map.item }}', { map: MAP });
    expect(() => renderTaskTemplates(request)).toThrow(
      "task 'extract', field 'command': {{ map.item }} has no value: the task is not an instance of a mapped task",
    );
  });
});

describe('the shell environment of a mapped instance', () => {
  it('sets TRIBUTARY_MAP_INDEX and TRIBUTARY_MAP_ITEM as JSON, and neither in other tasks', () => {
    const env = buildShellEnv({}, instanceOf(shellRequest('true'), 7, ['a', 1]), {
      TRIBUTARY_MAP_INDEX: 'forged',
    });
    expect(env).toMatchObject({ TRIBUTARY_MAP_INDEX: '7', TRIBUTARY_MAP_ITEM: '["a",1]' });
    const plain = buildShellEnv({}, shellRequest('true', { map: MAP }), {});
    expect(plain).not.toHaveProperty('TRIBUTARY_MAP_INDEX');
    expect(plain).not.toHaveProperty('TRIBUTARY_MAP_ITEM');
  });

  it('writes a string item as JSON too, so that its type survives', () => {
    const env = buildShellEnv({}, instanceOf(shellRequest('true'), 0, 'a.csv'), {});
    expect(env).toMatchObject({ TRIBUTARY_MAP_INDEX: '0', TRIBUTARY_MAP_ITEM: '"a.csv"' });
  });
});

describe('createExecutor with mapped instances', () => {
  let executor: TaskExecutor | undefined;

  beforeAll(() => assertBuilt());

  afterEach(async () => {
    await executor?.close();
    executor = undefined;
  });

  it('runs a shell instance with its item as a word and in its environment', async () => {
    executor = createExecutor();
    const request = shellRequest(
      'printf \'%s|\' {{ map.item.name }} {{ map.index }}; echo; echo "$TRIBUTARY_MAP_INDEX $TRIBUTARY_MAP_ITEM"',
      { id: 'process' },
    );
    const result = await executor.execute(instanceOf(request, 1, { name: 'b $(c)' }));
    expect(result.outcome).toBe('succeeded');
    expect(result.logTail).toEqual(['b $(c)|1|', '1 {"name":"b $(c)"}']);
  });

  it('gives a node instance ctx.mapIndex and ctx.mapItem, and other tasks neither', async () => {
    executor = createExecutor({ maxThreads: 1 });
    const instance = instanceOf(nodeRequest({ id: 'score', export: 'describeMap' }), 3, { rows: [1, 2] });
    expect((await executor.execute(instance)).output).toEqual({
      mapIndex: 3,
      mapItem: { rows: [1, 2] },
      hasItem: true,
    });
    const nullItem = instanceOf(nodeRequest({ id: 'score', export: 'describeMap' }), 0, null);
    expect((await executor.execute(nullItem)).output).toEqual({ mapIndex: 0, mapItem: null, hasItem: true });
    const plain = nodeRequest({ export: 'describeMap', map: MAP });
    expect((await executor.execute(plain)).output).toEqual({ mapIndex: null, mapItem: null, hasItem: false });
  });
});
