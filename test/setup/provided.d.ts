import 'vitest';
import type { BicepSource } from '../../lib/dev/bicep/cli.js';
import type { CompiledInfra } from '../../lib/dev/bicep/infra.js';

declare module 'vitest' {
  export interface ProvidedContext {
    azurite: { connectionString: string; tableEndpoint: string; blobEndpoint: string; queueEndpoint: string };
    /** test/setup/bicep.ts: infra/ compiled by the Bicep CLI, or why not */
    bicep:
      | ({
          status: 'ok';
          source: BicepSource;
          version: string;
          command: string;
          setupMs: number;
        } & CompiledInfra)
      | { status: 'unavailable' | 'error'; message: string };
  }
}
