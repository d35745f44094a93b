/** Types for scripts/build-page.mjs (plain Node ESM, imported by vitest's global setup and build steps). */
export declare const GENERATED: string;
/** The final on-call page: page.html with page.css and the compiled page.ts inlined; `__NONCE__` placeholders. */
export declare function renderPage(): Promise<string>;
/** Writes lib/api/ui/page.generated.ts when its content changes. */
export declare function buildPage(): Promise<{ path: string; changed: boolean; bytes: number }>;
