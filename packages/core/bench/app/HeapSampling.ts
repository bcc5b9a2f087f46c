/**
 * Allocation sampling through the inspector (`HeapProfiler.startSampling`): which source lines allocated the
 * bytes still in the heap when sampling stops. Without a major GC in between, objects promoted to the old
 * generation and dead since still count, which is what a bench of promoted garbage wants to see.
 *
 * @since 0.1.0
 */
import { Session } from "node:inspector/promises"
import { findSourceMap } from "node:module"

interface SamplingNode {
  readonly callFrame: {
    readonly functionName: string
    readonly url: string
    readonly lineNumber: number
    readonly columnNumber: number
  }
  readonly selfSize: number
  readonly children: ReadonlyArray<SamplingNode>
}

/** Where a frame is, mapped through tsx's source maps to the original `.ts` line. */
const place = (frame: SamplingNode["callFrame"], root: string): string => {
  let line = frame.lineNumber
  const entry = frame.url.endsWith(".ts")
    ? findSourceMap(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber)
    : undefined
  if (entry !== undefined && "originalLine" in entry && typeof entry.originalLine === "number")
    line = entry.originalLine
  const url = frame.url.replace(/^file:\/\//, "").replace(root, "")
  return `${frame.functionName === "" ? "(anonymous)" : frame.functionName} ${url}:${line + 1}`
}

/**
 * Starts sampling (every `intervalBytes` allocated); the returned function stops it and formats the `limit`
 * allocation sites with the most bytes still in the heap (with `includeCollected`, the most bytes allocated),
 * each with its callers up to `depth` script frames.
 */
export const startSampling = async (
  intervalBytes = 16 * 1024,
  limit = 15,
  depth = 2,
  includeCollected = false,
  root = `${process.cwd()}/`
): Promise<() => Promise<string>> => {
  const session = new Session()
  session.connect()
  await session.post("HeapProfiler.enable")
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: intervalBytes,
    includeObjectsCollectedByMajorGC: includeCollected,
    includeObjectsCollectedByMinorGC: includeCollected
  })
  return async () => {
    const { profile } = (await session.post("HeapProfiler.stopSampling")) as unknown as {
      readonly profile: { readonly head: SamplingNode }
    }
    session.disconnect()
    const sites = new Map<string, number>()
    let total = 0
    /** Native frames (Map#set...) say little: the key is the site plus callers up to `depth` script frames. */
    const walk = (node: SamplingNode, callers: ReadonlyArray<string>) => {
      const here = place(node.callFrame, root)
      const stack = [here, ...callers]
      if (node.selfSize > 0) {
        const key: Array<string> = []
        let scripts = 0
        for (const frame of stack) {
          key.push(frame)
          if (!frame.endsWith(":0") && ++scripts === depth) break
        }
        const text = key.join("  <- ")
        sites.set(text, (sites.get(text) ?? 0) + node.selfSize)
        total += node.selfSize
      }
      for (const child of node.children) walk(child, stack.slice(0, 8))
    }
    walk(profile.head, [])
    const top = [...sites].sort((a, b) => b[1] - a[1]).slice(0, limit)
    return [
      `${includeCollected ? "allocations" : "allocations still in the heap"}: ${(total / 1024 / 1024).toFixed(1)} MiB sampled; top sites:`,
      ...top.map(([site, bytes]) => `  ${(bytes / 1024).toFixed(0).padStart(8)} KiB  ${site}`)
    ].join("\n")
  }
}
