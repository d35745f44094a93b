/** Types for scripts/build.mjs (plain Node ESM, imported by the sweep bench). */
import type { BuildOptions } from 'esbuild';

/** The esbuild options both deployed bundles share. */
export declare const BUNDLE_OPTIONS: BuildOptions;
export declare function build(options?: {
  log?: (line: string) => void;
}): Promise<{ functionsFiles: string[] }>;
/** True when esbuild (a devDependency) cannot be loaded. */
export declare function esbuildMissing(): Promise<boolean>;
