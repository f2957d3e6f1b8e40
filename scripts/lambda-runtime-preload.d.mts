/** The Node modules the Lambda Node.js runtime loads before it imports a handler. */
export declare const RUNTIME_MODULES: readonly string[];
/** Loads them (not under BENCH_BARE=1); true when it did. */
export declare function loadWhatTheLambdaRuntimeHasLoaded(): boolean;
