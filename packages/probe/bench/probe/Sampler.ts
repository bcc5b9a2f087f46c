/**
 * Samples a process's CPU time and memory from /proc every second: what the process costs, measured from
 * outside (its own CPU time, RSS and peak RSS), including every thread.
 *
 * @since 0.1.0
 */
import { readFileSync } from "node:fs"

const ticksPerSecond = 100 // USER_HZ on Linux

/** One sample. */
export interface Sample {
  readonly at: number
  /** User + system CPU time so far, ms. */
  readonly cpuMs: number
  readonly rssKb: number
  /** Peak RSS so far (VmHWM). */
  readonly hwmKb: number
  /** The private part of the RSS: anonymous memory (V8 heap, malloc), RssAnon. */
  readonly anonKb: number
  /** The file-backed part: mostly pages of the node binary, shared with every Node process (RssFile). */
  readonly fileKb: number
}

/** Reads one sample of `pid`, or `undefined` when it is gone. */
export const sample = (pid: number): Sample | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond
    const status = readFileSync(`/proc/${pid}/status`, "utf8")
    const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0)
    return {
      at: performance.now(),
      cpuMs,
      rssKb: kb("VmRSS"),
      hwmKb: kb("VmHWM"),
      anonKb: kb("RssAnon"),
      fileKb: kb("RssFile")
    }
  } catch {
    return undefined
  }
}

/** Samples `pid` every `everyMs` until `stop()`. */
export const sampler = (pid: number, everyMs = 1_000) => {
  const samples: Array<Sample> = []
  const timer = setInterval(() => {
    const s = sample(pid)
    if (s !== undefined) samples.push(s)
  }, everyMs)
  return {
    samples,
    stop: () => clearInterval(timer),
    /** CPU % of one core between the first sample at or after `fromMs` (since start) and the last one. */
    cpuPercent: (fromIndex: number): number => {
      const first = samples[Math.min(fromIndex, samples.length - 1)]
      const last = samples[samples.length - 1]
      if (first === undefined || last === undefined || last.at === first.at) return Number.NaN
      return ((last.cpuMs - first.cpuMs) / (last.at - first.at)) * 100
    },
    peakRssMb: (): number => Math.max(0, ...samples.map((s) => s.hwmKb)) / 1024,
    /** Seconds from the first sample to the first one that saw the final peak (VmHWM), or NaN. */
    peakReachedSeconds: (): number => {
      const last = samples[samples.length - 1]
      const first = samples[0]
      const reached = samples.find((s) => s.hwmKb === last?.hwmKb)
      return reached === undefined || first === undefined ? Number.NaN : (reached.at - first.at) / 1000
    },
    /** The highest anonymous (private) and file-backed RSS sampled. */
    peakPartsMb: (): { readonly anon: number; readonly file: number } => ({
      anon: Math.max(0, ...samples.map((s) => s.anonKb)) / 1024,
      file: Math.max(0, ...samples.map((s) => s.fileKb)) / 1024
    }),
    meanRssMb: (fromIndex: number): number => {
      const window = samples.slice(fromIndex)
      return window.reduce((sum, s) => sum + s.rssKb, 0) / Math.max(1, window.length) / 1024
    }
  }
}

/** The largest mappings of `pid` by resident size (from /proc/<pid>/smaps), for a memory breakdown. */
export const largestMappings = (
  pid: number,
  count = 6
): ReadonlyArray<{ readonly name: string; readonly mb: number }> => {
  const byName = new Map<string, number>()
  let current = ""
  try {
    for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
      if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) current = line.split(/\s+/).slice(5).join(" ") || "[anonymous]"
      else if (line.startsWith("Rss:")) byName.set(current, (byName.get(current) ?? 0) + Number(line.split(/\s+/)[1]))
    }
  } catch {
    return []
  }
  return [...byName]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, kb]) => ({ name, mb: kb / 1024 }))
}
