import { setFlagsFromString } from 'node:v8';

/**
 * undici parses HTTP with WebAssembly (llhttp). V8 compiles it with its baseline compiler (Liftoff)
 * and, once a function has run enough, recompiles it with its optimizing compiler on a background
 * thread: ~20 MB of transient memory (the one-key process peaks at ~102 MB with it, ~82 MB without)
 * and background CPU on a fractional-vCPU Lambda, to parse a few kilobytes per key. Baseline code is
 * plenty fast for that. NODE_OPTIONS does not accept V8's wasm flags, and on Node.js 24
 * `--liftoff-only` set here no longer takes effect (V8 reads it before this runs); the tier-up budget
 * is read when undici instantiates its parser, on the first request, after module initialisation: a
 * budget of two billion "bytes executed" per function is never spent by a monitor.
 */
setFlagsFromString('--wasm-tiering-budget=2000000000');
