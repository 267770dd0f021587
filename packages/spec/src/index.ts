export { assertValid } from './assert.js';
export { CONNECTION_NAME_PATTERN, MAX_SQL_ROWS, SECRET_NAME_PATTERN } from './fields.js';
export { type LoadedDag, loadDagFolder, SPEC_FILE_NAMES } from './load.js';
export { mapInstanceModel, parseMapOver } from './map.js';
export { expandMatrix, type MatrixValues, matrixInstanceId, matrixSize, parseInstanceRef } from './matrix.js';
export * from './model.js';
export { natsSubjectProblem } from './nats-subject.js';
export { validateParams } from './params.js';
export { type DagParseResult, type ParseDagSpecOptions, parseDagSpec } from './parse.js';
export { DAG_SPEC_SCHEMA } from './schema.js';
export { type TaskDefaults, taskDefaults } from './task-defaults.js';
export {
  findMisplacedShellTemplates,
  findMisplacedSqlTemplates,
  type MisplacedTemplate,
} from './template-contexts.js';
export {
  EVENT_TEMPLATE_FIELDS,
  EVENT_TEMPLATE_HINT,
  formatTemplatePath,
  type ParsedTemplate,
  parseTemplate,
  TEMPLATE_HINT,
  TEMPLATE_ROOTS,
  type TemplateName,
  type TemplatePart,
  type TemplatePathSegment,
  type TemplateRoot,
  type TemplateSyntaxError,
  type TemplateText,
} from './templates.js';
export { DEFAULT_TIMEZONE } from './trigger-fields.js';
