import type { Ajv as AjvInstance, AnySchemaObject, ValidateFunction } from 'ajv';
import AjvModule from 'ajv';
import formatsModule from 'ajv-formats';

// ajv and ajv-formats are CommonJS modules whose types declare an ES default export; under NodeNext
// the default import is `module.exports`, which carries the class and the plugin as `.default`.
const Ajv = AjvModule.default;
const addFormats = formatsModule.default;

/**
 * How this package runs ajv. `strict` makes typos (`minimun`, unknown formats) errors instead of
 * silently ignored keywords; `allowUnionTypes` keeps `type: [string, "null"]`, the usual way to
 * write an optional value, which strict mode would otherwise reject. `addUsedSchema: false` keeps
 * a param's `$id` out of the shared registry, so two DAGs may use the same one.
 */
export const AJV_OPTIONS = {
  strict: true,
  allowUnionTypes: true,
  allErrors: true,
  useDefaults: true,
  addUsedSchema: false,
} as const;

let shared: AjvInstance | undefined;

/** The package's one ajv instance (created on first use), with the formats of `ajv-formats`. */
export function sharedAjv(): AjvInstance {
  if (shared === undefined) {
    shared = new Ajv(AJV_OPTIONS);
    // The plugin's types come from its own copy of ajv 8, so TypeScript sees two Ajv classes.
    addFormats(shared as unknown as Parameters<typeof addFormats>[0]);
  }
  return shared;
}

/**
 * Compiles a schema with the shared instance, then drops it from ajv's cache: ajv keeps every
 * compiled schema in a Map forever, while callers here cache validators by their own keys (a
 * long-running coordinator sees many DAG versions). Throws what ajv throws for a bad schema.
 */
export function compileSchema(schema: AnySchemaObject): ValidateFunction {
  const ajv = sharedAjv();
  try {
    return ajv.compile(schema);
  } finally {
    ajv.removeSchema(schema);
  }
}

/** The keywords ajv knows, for suggestions when a schema uses an unknown one. */
export function knownKeywords(): string[] {
  return Object.keys(sharedAjv().RULES.all);
}

/** The formats ajv knows. */
export function knownFormats(): string[] {
  return Object.keys(sharedAjv().formats);
}
