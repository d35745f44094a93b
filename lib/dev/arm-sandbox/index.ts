/** The ARM sandbox's public surface (dev/test only). */
export { ArmError } from './arm.js';
export { DEFAULT_CALLER, SANDBOX_TENANT_ID, sandboxCredential, unsignedJwt } from './credential.js';
export type { DeliveredEvent } from './delivery.js';
export type { CloudEvent, EventGridEvent, SandboxEvent } from './events.js';
export { type EstateSpec, generateEstate } from './generate.js';
export { loadScenarioFile } from './scenario.js';
export { type Sandbox, type SandboxClientOptions, startSandbox } from './server.js';
export * from './types.js';
