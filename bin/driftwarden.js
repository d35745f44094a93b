#!/usr/bin/env node
// Entry point for the `driftwarden` command (TEMPORARY: runs the TypeScript entry through tsx
// until the build lands).
import { tsImport } from 'tsx/esm/api';

await tsImport('./cli.ts', import.meta.url);
