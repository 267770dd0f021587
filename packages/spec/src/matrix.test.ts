import { describe, expect, it } from 'vitest';
import { expandMatrix, matrixInstanceId, matrixSize, parseInstanceRef } from './matrix.js';

describe('matrix expansion', () => {
  it('is the cartesian product in declaration order, first key slowest', () => {
    expect(expandMatrix({ region: ['eu', 'us'], size: ['small', 'large'], on: [true] })).toEqual([
      { region: 'eu', size: 'small', on: true },
      { region: 'eu', size: 'large', on: true },
      { region: 'us', size: 'small', on: true },
      { region: 'us', size: 'large', on: true },
    ]);
    expect(matrixSize({ a: [1, 2, 3], b: ['x', 'y'] })).toBe(6);
  });

  it('names instances by index and reads those names back', () => {
    expect(matrixInstanceId('load', 3)).toBe('load[3]');
    expect(parseInstanceRef('load[12]')).toEqual({ taskId: 'load', index: 12 });
    expect(parseInstanceRef('load')).toBeUndefined();
    expect(parseInstanceRef('load[01]')).toBeUndefined();
    expect(parseInstanceRef('load[-1]')).toBeUndefined();
  });
});
