import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instanceId, parseInstanceId } from './instance-id.js';

describe('instance ids', () => {
  it('reads back every id it makes', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.nat(), (taskId, index) => {
        expect(parseInstanceId(instanceId(taskId, index))).toEqual({ taskId, index });
      }),
    );
  });

  it('takes no index from an id without one, or with a malformed one', () => {
    for (const id of ['load', 'load[]', 'load[01]', 'load[-1]', '[0]', 'load[0]x']) {
      expect(parseInstanceId(id)).toBeUndefined();
    }
    expect(parseInstanceId('a[1][2]')).toEqual({ taskId: 'a[1]', index: 2 });
  });
});
