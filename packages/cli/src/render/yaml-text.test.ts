import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { yamlBlock, yamlFlow, yamlKey } from './yaml-text.js';

describe('yaml text', () => {
  it('quotes strings that YAML 1.1 or 1.2 would read as something else, and no others', () => {
    for (const text of ['yes', 'on', 'n', '2024-01-31', '12:30', '1_000', 'true', '1e3', 'null', '', '~']) {
      const flow = yamlFlow(text);
      expect(flow, text).toMatch(/^["'].*["']$/);
      expect(parse(flow)).toBe(text);
      expect(parse(flow, { version: '1.1' })).toBe(text);
    }
    expect(yamlFlow('plain words')).toBe('plain words');
    expect(yamlFlow(42)).toBe('42');
    expect(yamlFlow(true)).toBe('true');
  });

  it('renders nested values in block style that read back the same in both YAML versions', () => {
    const value = { tags: ['on', 'off', 'x'], when: '2024-01-31', note: 'line one\nline two\n', n: 3 };
    const text = yamlBlock(value);
    expect(parse(text)).toEqual(value);
    expect(parse(text, { version: '1.1' })).toEqual(value);
    expect(text).toContain('note: |\n  line one\n  line two');
  });

  it('keeps flow text on one line, even for a multi-line string', () => {
    expect(yamlFlow('a\nb')).toBe('"a\\nb"');
    expect(yamlFlow(['a', 'yes', 2])).toBe('[ a, "yes", 2 ]');
  });

  it('writes keys plain when safe and quoted otherwise', () => {
    expect(yamlKey('bucket')).toBe('bucket');
    expect(yamlKey('on')).toBe('"on"');
    expect(yamlKey('a: b')).toBe('"a: b"');
  });
});
