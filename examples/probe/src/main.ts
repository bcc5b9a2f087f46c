#!/usr/bin/env -S MALLOC_ARENA_MAX=1 MALLOC_TRIM_THRESHOLD_=65536 node --single-threaded --max-semi-space-size=1 --no-opt --no-maglev --expose-gc
/**
 * The probe host's entry point: turns on Node's compile cache, then loads the CLI (`cli.ts`). From the second
 * start on, V8 reads the CLI's compiled code from the cache (in the OS temp directory) instead of parsing 600 KB
 * of JavaScript, whose parse peak the allocator keeps: about 4 MB less RSS. Without a writable temp directory
 * it parses as before.
 *
 * The shebang's settings, measured under bench:probe's load (docs/benchmarks.md): `--single-threaded` (no V8
 * background threads, so no per-thread malloc arenas for their GC and compiler work; the probe's GC pauses are
 * a few ms), `MALLOC_ARENA_MAX=1` (libuv's thread pool, which runs gzip, allocates in the main arena too),
 * `MALLOC_TRIM_THRESHOLD_=65536` (glibc gives freed memory at the top of its heap back to the OS: the C heap
 * stays at 4-5 MB instead of 13 MB), `--max-semi-space-size=1` (a young generation that does not grow to 32 MB
 * under allocation bursts), `--no-opt --no-maglev` (no optimizing compilers: their code in the node binary is
 * never paged in, about 5 MB less RSS, for a probe that runs a few ms of JavaScript every 15 s) and
 * `--expose-gc` (the CLI compacts the heap after a report, see `compactHeap.ts`: the old generation no longer
 * grows report after report). Started as `node dist/main.js` (a container's command, say), pass them yourself.
 */
import * as nodeModule from "node:module"

nodeModule.enableCompileCache?.()
await import("./cli.js")
// A probe is usually stopped by a signal, when Node writes nothing: write the cache now.
nodeModule.flushCompileCache?.()
