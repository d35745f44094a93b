// Public surface of the control catalog.
export * from './catalog.js';
export {
  DEFAULT_MANAGEMENT_PORTS,
  defaultEvaluationSettings,
  evaluationSettingsFromConfig,
} from './settings.js';
export type * from './types.js';
export { RESOURCE_TYPES } from './types.js';
