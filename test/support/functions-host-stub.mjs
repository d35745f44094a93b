// Preload (`node --import ./test/support/functions-host-stub.mjs ...`) that stands in for the
// Azure Functions Node.js worker's one built-in module. The worker provides
// `@azure/functions-core` by intercepting Module.prototype.require; this does the same, so
// @azure/functions registers with a "host" (not its test mode) and the functions an entry point
// registers can be listed. With DW_REGISTERED_OUT set, they are written there as JSON on exit:
// [{ "name": "...", "trigger": "httpTrigger" }, ...].
import { writeFileSync } from 'node:fs';
import Module from 'node:module';

/** @type {{ name: string, trigger: string | undefined }[]} */
const registered = [];
const disposable = { dispose() {} };
const core = {
  version: '0.0.0-stub',
  hostVersion: '0.0.0-stub',
  /** @param {{ name: string, bindings: Record<string, { type: string, direction: string }> }} metadata */
  registerFunction(metadata) {
    const trigger = Object.values(metadata.bindings).find((binding) => /trigger$/i.test(binding.type));
    registered.push({ name: metadata.name, trigger: trigger?.type });
    return disposable;
  },
  setProgrammingModel() {},
  getProgrammingModel() {},
  registerHook() {
    return disposable;
  },
  log() {},
  Disposable: class {},
};

Module.prototype.require = new Proxy(Module.prototype.require, {
  apply(target, thisArg, args) {
    return args[0] === '@azure/functions-core' ? core : Reflect.apply(target, thisArg, args);
  },
});

const out = process.env.DW_REGISTERED_OUT;
if (out) process.on('exit', () => writeFileSync(out, JSON.stringify(registered)));
