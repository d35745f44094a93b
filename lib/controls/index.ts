// Public surface of the control catalog.
export * from './catalog.js';
export { defaultEvaluationSettings, evaluationSettingsFromConfig, DEFAULT_MANAGEMENT_PORTS } from './settings.js';
export type * from './types.js';
export { RESOURCE_TYPES } from './types.js';
