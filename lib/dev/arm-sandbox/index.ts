/**
 * The ARM sandbox's public surface (dev/test only): import from here, never from the modules
 * behind it. Layout and the reason each module changes for: README.md in this folder.
 */
export { ArmError } from './arm.js';
export { DEFAULT_CALLER, SANDBOX_TENANT_ID, sandboxCredential, unsignedJwt } from './credential.js';
export type { DeliveredEvent } from './delivery.js';
export type { CloudEvent, EventGridEvent, SandboxEvent } from './events.js';
export { type EstateSpec, generateEstate } from './generate.js';
export type { Sandbox, SandboxClientOptions } from './sandbox.js';
export { loadScenarioFile } from './scenario.js';
export { startSandbox } from './server.js';
/** the sandbox's self-signed loopback certificate, for other local HTTPS stand-ins (local mode, test topics) */
export { loadOrCreateCertificate, type SandboxCertificate } from './tls.js';
export * from './types.js';
