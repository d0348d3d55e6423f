// Types for node-only.js, so that TypeScript specs (shared/node-use.spec.ts) can use it.
export declare const NODE_ONLY_PACKAGES: readonly string[];
export declare function isNodeOnlySpecifier(specifier: string, packages?: readonly string[]): boolean;
export declare function runtimeImportsOf(file: string): string[];
export declare function nodeChainOf(file: string, packages?: readonly string[]): string[] | null;
