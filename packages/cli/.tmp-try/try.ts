import { renderParamsForm } from '../src/render/params-form.ts';
import { parseDagSpec } from '@tributary/spec';
const spec = `name: report
params:
  region:
    type: string
    description: Where the data lives.
    enum: [eu, us, "yes"]
  day: { type: string, format: date, description: "The day to report on.\\nUse ISO dates." }
  limit: { type: integer, minimum: 1, maximum: 100, default: 10 }
  tags: { type: array, items: { type: string }, default: [a, "on", "12:30"] }
  note: { type: string, default: "line one\\nline two\\n" }
  empty: { type: string, default: "" }
  storage:
    type: object
    description: Where to write.
    required: [bucket]
    properties:
      bucket: { type: string, description: Bucket name }
      prefix: { type: string }
      retries: { type: integer, default: 2 }
      "yes": { type: boolean, default: true }
  opts:
    type: object
    default: { verbose: true }
    properties:
      verbose: { type: boolean }
      level: { type: [string, "null"] }
  loose:
    type: object
    properties:
      a: { type: string }
tasks:
  a: { kind: shell, command: echo }
`;
const r = parseDagSpec(spec, { file: 'x.yaml' });
if (!r.model) { console.log(r.problems); process.exit(1); }
console.log(renderParamsForm(r.model.paramsSchema, { dag: 'report', path: 'dags/report' }));
console.log(JSON.stringify(r.model.paramsSchema));
