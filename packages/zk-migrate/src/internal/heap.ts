/**
 * Headroom for the CLI: a larger young generation than Node's default 16 MB. The engine no longer needs it
 * for the sync lag target (bench:zk measures p99 13 ms at 1,000 writes/s on a 100k-node tree with the
 * default, and about 51 KB of garbage per change), so embedders need no V8 flags; the CLI keeps it because
 * a busy sync with larger nodes makes proportionally more garbage, and scavenges then pause it less often.
 *
 * @internal
 */
import { setFlagsFromString } from "node:v8"

/** Raises V8's young generation (`--max-semi-space-size`, MB) unless the process was started with one. */
export const tuneHeap = (semiSpaceMb = 64): void => {
  const given = `${process.env.NODE_OPTIONS ?? ""} ${process.execArgv.join(" ")}`
  if (given.includes("semi-space")) return
  setFlagsFromString(`--max-semi-space-size=${semiSpaceMb}`)
}
