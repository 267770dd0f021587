export { assertValid } from './assert.js';
export { type LoadedDag, loadDagFolder, SPEC_FILE_NAMES } from './load.js';
export * from './model.js';
export { validateParams } from './params.js';
export { type DagParseResult, type ParseDagSpecOptions, parseDagSpec } from './parse.js';
export { DAG_SPEC_SCHEMA } from './schema.js';
