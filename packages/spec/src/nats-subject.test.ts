import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { natsSubjectProblem } from './nats-subject.js';
import { NATS_SUBJECT_PATTERN } from './trigger-fields.js';

const VALID = [
  'orders',
  'orders.created',
  'orders.*.eu',
  'orders.created.>',
  '*',
  '>',
  '*.>',
  'a-b_c.D1',
  'é.ü',
];
const INVALID = [
  '',
  'orders..created',
  '.orders',
  'orders.',
  'orders created',
  'orders.\tcreated',
  'orders.cre*',
  'orders.*x',
  'orders.>.eu',
  'orders.a>',
  '>.orders',
  '$JS.API.>',
  '$SYS',
];

describe('natsSubjectProblem', () => {
  it('accepts subjects the NATS server takes for a subscription', () => {
    for (const subject of VALID) expect(natsSubjectProblem(subject), subject).toBeUndefined();
  });

  it('says which rule a subject breaks', () => {
    expect(natsSubjectProblem('')).toBe('must be a non-empty NATS subject, e.g. orders.created');
    expect(natsSubjectProblem('a b')).toBe("invalid NATS subject 'a b': a subject cannot hold whitespace");
    expect(natsSubjectProblem('a..b')).toBe("invalid NATS subject 'a..b': a token between dots is empty");
    expect(natsSubjectProblem('a.b*')).toBe(
      "invalid NATS subject 'a.b*': '*' matches one whole token, so it stands alone between dots (orders.*.eu)",
    );
    expect(natsSubjectProblem('a.>.b')).toBe(
      "invalid NATS subject 'a.>.b': '>' matches the rest of a subject, so it can only be the whole last token (orders.>)",
    );
    expect(natsSubjectProblem('$JS.API.>')).toBe(
      "invalid NATS subject '$JS.API.>': subjects starting with '$' are the NATS server's own ($JS, $SYS, ...)",
    );
  });

  it('agrees with the JSON Schema pattern editors use', () => {
    const pattern = new RegExp(NATS_SUBJECT_PATTERN, 'u');
    for (const subject of [...VALID, ...INVALID]) {
      expect(pattern.test(subject), subject).toBe(natsSubjectProblem(subject) === undefined);
    }
  });

  it('agrees with the pattern on any subject made of the characters that matter', () => {
    const pattern = new RegExp(NATS_SUBJECT_PATTERN, 'u');
    const subjects = fc
      .array(fc.constantFrom('a', 'b', '.', '*', '>', '$', ' ', '\t', '-'), { maxLength: 12 })
      .map((chars) => chars.join(''));
    fc.assert(
      fc.property(subjects, (subject) => {
        expect(pattern.test(subject)).toBe(natsSubjectProblem(subject) === undefined);
      }),
      { numRuns: 2000 },
    );
  });
});
