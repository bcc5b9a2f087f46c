/**
 * Measures what the process allocates over a stretch of work, from V8's GC profiler: the young-generation
 * bytes allocated (new space filled between scavenges) and the number of scavenges and full GCs. Unlike
 * timings, these do not depend on how loaded the machine is.
 */
import { GCProfiler } from "node:v8"

interface SpaceStats {
  readonly spaceName: string
  readonly spaceUsedSize: number
}
interface GcEntry {
  readonly gcType: string
  readonly beforeGC: { readonly heapSpaceStatistics: ReadonlyArray<SpaceStats> }
  readonly afterGC: { readonly heapSpaceStatistics: ReadonlyArray<SpaceStats> }
}

/** What {@link startGcMeter}'s `stop` reports. */
export interface GcReport {
  readonly youngAllocatedMb: number
  readonly scavenges: number
  readonly fullGcs: number
}

const newSpace = (spaces: ReadonlyArray<SpaceStats>): number =>
  spaces.find((s) => s.spaceName === "new_space")?.spaceUsedSize ?? 0

/** Starts measuring; `stop` returns the totals since. */
export const startGcMeter = (): { stop: () => GcReport } => {
  const profiler = new GCProfiler()
  profiler.start()
  return {
    stop: () => {
      const entries = (profiler.stop()?.statistics ?? []) as ReadonlyArray<GcEntry>
      let allocated = 0
      let previousAfter = 0
      let scavenges = 0
      let fullGcs = 0
      for (const entry of entries) {
        const before = newSpace(entry.beforeGC.heapSpaceStatistics)
        allocated += Math.max(0, before - previousAfter)
        previousAfter = newSpace(entry.afterGC.heapSpaceStatistics)
        if (entry.gcType === "Scavenge" || entry.gcType === "MinorMarkSweep") scavenges++
        else if (entry.gcType === "MarkSweepCompact") fullGcs++
      }
      return { youngAllocatedMb: allocated / 1024 / 1024, scavenges, fullGcs }
    }
  }
}
