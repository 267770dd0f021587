import { describe, expect, it } from 'vitest';
import { mapInstanceModel, parseMapOver } from './map.js';
import type { ShellTaskModel } from './model.js';
import { taskDefaults } from './task-defaults.js';

describe('parseMapOver', () => {
  it('splits inputs.<id>.<field>... into the upstream id and the path as strings', () => {
    expect(parseMapOver('inputs.list_files.files')).toEqual({
      over: 'inputs.list_files.files',
      upstream: 'list_files',
      path: ['files'],
    });
    expect(parseMapOver('inputs.scan-2.batches.0.keys')).toMatchObject({
      upstream: 'scan-2',
      path: ['batches', '0', 'keys'],
    });
    expect(parseMapOver('inputs.list')).toMatchObject({ upstream: 'list', path: [] });
  });

  it('keeps a matrix instance index as part of the upstream id', () => {
    expect(parseMapOver('inputs.load[1].rows')).toMatchObject({ upstream: 'load[1]', path: ['rows'] });
  });

  it('refuses anything that is not inputs.<id> with dotted segments', () => {
    for (const over of [
      'params.files',
      'inputs',
      'inputs.',
      'inputs.a..b',
      'inputs.a.files[0]',
      'inputs.a.01',
      'inputs.a.-1',
      '{{ inputs.a.files }}',
      ' inputs.a',
    ]) {
      expect(parseMapOver(over), over).toBeUndefined();
    }
  });
});

describe('map instances', () => {
  const task: ShellTaskModel = {
    ...taskDefaults(),
    id: 'process',
    kind: 'shell',
    command: 'echo {{ map.item }}',
    skipExitCode: 99,
    env: { MODE: 'fast' },
    map: { over: 'inputs.list.files', upstream: 'list', path: ['files'] },
  };

  it("builds an instance's model with its id, index and item, and its own env", () => {
    const instance = mapInstanceModel(task, 2, { path: 'b.csv' });
    expect(instance).toEqual({ ...task, id: 'process[2]', mapIndex: 2, mapItem: { path: 'b.csv' } });
    expect(instance.env).not.toBe(task.env);
    expect(task.mapIndex).toBeUndefined();
    expect(mapInstanceModel(task, 0, null)).toMatchObject({ mapIndex: 0, mapItem: null });
  });
});
