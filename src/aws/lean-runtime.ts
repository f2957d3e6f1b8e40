import { setFlagsFromString } from 'node:v8';

/**
 * undici parses HTTP with WebAssembly (llhttp). V8 compiles it with its baseline compiler (Liftoff)
 * and later recompiles hot functions with TurboFan, which costs ~35 MB of transient memory and
 * background CPU on a fractional-vCPU Lambda, to parse a few kilobytes per run. Baseline code is
 * plenty fast for that. NODE_OPTIONS does not accept this flag; setting it here works because
 * undici compiles its parser on the first request, after module initialisation.
 */
setFlagsFromString('--liftoff-only');
