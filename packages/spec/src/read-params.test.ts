import { describe, expect, it } from 'vitest';
import { parseDagSpec } from './parse.js';

const withParams = (params: string) =>
  `name: x\nparams:\n${params}\ntasks:\n  a: { kind: shell, command: ls }\n`;
const problemsOf = (text: string) => parseDagSpec(text, { file: 'dag.yaml' }).problems;
const at = (line: number, column: number) => ({ file: 'dag.yaml', line, column });

describe('params checks', () => {
  it('reports an unknown JSON type at the type, with a suggestion', () => {
    expect(problemsOf(withParams('  date: { type: strin }'))).toEqual([
      {
        message:
          "invalid JSON Schema for param 'date': 'type' must be equal to one of the allowed values: " +
          '"array", "boolean", "integer", "null", "number", "object", "string" (got \'strin\') (did you mean \'string\'?)',
        position: at(3, 17),
        field: 'params.date',
      },
    ]);
  });

  it('reports a keyword value of the wrong type', () => {
    expect(problemsOf(withParams('  limit: { type: integer, minimum: "x" }'))).toEqual([
      {
        message: "invalid JSON Schema for param 'limit': 'minimum' must be number (got 'x')",
        position: at(3, 36),
        field: 'params.limit',
      },
    ]);
  });

  it('reports an unknown keyword at its key, also inside nested schemas', () => {
    expect(
      problemsOf(withParams('  tags:\n    type: array\n    items: { type: string, maxLenght: 3 }')),
    ).toEqual([
      {
        message:
          "invalid JSON Schema for param 'tags': unknown keyword 'maxLenght' (did you mean 'maxLength'?) in 'items'",
        position: at(5, 28),
        field: 'params.tags',
      },
    ]);
  });

  it('reports unknown formats and invalid patterns', () => {
    const problems = problemsOf(
      withParams('  a: { type: string, format: dat }\n  b: { type: string, pattern: "(" }'),
    );
    expect(problems.map((problem) => [problem.field, problem.position?.line])).toEqual([
      ['params.a', 3],
      ['params.b', 4],
    ]);
    expect(problems[0]?.message).toContain("unknown format 'dat' (did you mean 'date'?)");
    expect(problems[1]?.message).toBe(
      "invalid JSON Schema for param 'b': 'pattern' is not a valid regular expression: Unterminated group",
    );
  });

  it('reports what strict mode forbids, at the schema that does it', () => {
    expect(problemsOf(withParams('  a:\n    type: object\n    required: [x]'))).toEqual([
      {
        message:
          'invalid JSON Schema for param \'a\': strict mode: required property "x" is not defined (strictRequired)',
        position: at(4, 5),
        field: 'params.a',
      },
    ]);
    expect(problemsOf(withParams('  a: { anyOf: [{ minLength: 1 }] }'))[0]?.message).toBe(
      'invalid JSON Schema for param \'a\': \'anyOf.0\' strict mode: missing type "string" for keyword "minLength" (strictTypes)',
    );
  });

  it('accepts union types, references to known schemas and nested defaults', () => {
    const params = [
      '  a: { type: [string, "null"], default: null }',
      '  b: { $ref: "http://json-schema.org/draft-07/schema#" }',
      '  c: { type: object, default: {}, properties: { d: { type: integer, default: 1 } } }',
    ];
    expect(problemsOf(withParams(params.join('\n')))).toEqual([]);
  });

  it('reports a reference into the param itself, which the params schema cannot resolve', () => {
    const problems = problemsOf(
      withParams('  a:\n    $ref: "#/definitions/day"\n    definitions: { day: { type: string } }'),
    );
    expect(problems).toEqual([
      {
        message:
          "invalid JSON Schema for param 'a': can't resolve reference #/definitions/day from id # " +
          "(references into a param's own schema are not supported)",
        position: at(4, 5),
        field: 'params.a',
      },
    ]);
  });

  it('reports each meta-schema problem of a param, not the anyOf branches behind it', () => {
    const problems = problemsOf(withParams('  a: { type: 5, minLength: -1 }'));
    expect(problems.map((problem) => [problem.message, problem.position?.column])).toEqual([
      [
        "invalid JSON Schema for param 'a': 'type' must be equal to one of the allowed values: " +
          '"array", "boolean", "integer", "null", "number", "object", "string" (got 5)',
        14,
      ],
      ["invalid JSON Schema for param 'a': 'minLength' must be >= 0 (got -1)", 28],
    ]);
  });

  it('reports a default that does not match its own schema at the default', () => {
    expect(problemsOf(withParams('  limit: { type: integer, default: 1.5 }'))).toEqual([
      {
        message: "the default of param 'limit' does not match its schema: must be integer",
        position: at(3, 36),
        field: 'params.limit',
      },
    ]);
    expect(
      problemsOf(withParams('  o: { type: object, properties: { n: { type: number } }, default: { n: x } }')),
    ).toEqual([
      {
        message: "the default of param 'o' does not match its schema: 'n' must be number",
        position: at(3, 73),
        field: 'params.o',
      },
    ]);
  });

  it('reports a param that is not a schema mapping, and a bad param name', () => {
    expect(problemsOf(withParams('  date: string'))[0]?.message).toBe(
      "a param must be a JSON Schema mapping such as { type: string } (got 'string')",
    );
    expect(problemsOf(withParams('  my-date: { type: string }'))[0]?.message).toBe(
      "invalid param name 'my-date' (use letters, digits and _, not starting with a digit)",
    );
  });

  it('makes a param required unless it has a default', () => {
    const { model } = parseDagSpec(withParams('  a: { type: string }\n  b: { type: number, default: 1 }'), {
      file: 'dag.yaml',
    });
    expect(model?.paramsSchema.required).toEqual(['a']);
  });
});
