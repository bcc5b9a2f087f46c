/**
 * The engine's garbage: every captured change allocates short-lived objects (driver records, fibers, the
 * re-read node), and with the default 16 MB young generation a busy sync spends most of a core in
 * scavenges that also promote and grow the old generation. A larger young generation cut the sync lag at
 * 1,000 writes/s on a 100k-node tree from seconds to tens of milliseconds (bench:zk).
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
