import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    azurite: { connectionString: string; tableEndpoint: string; blobEndpoint: string; queueEndpoint: string };
  }
}
