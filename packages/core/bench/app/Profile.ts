/**
 * Reads a V8 `.cpuprofile` (from `--cpu-prof`) and lists the functions with the most self time, so a missed
 * target comes with where the time went.
 *
 * **Gotchas** tsx compiles with whitespace minified and wraps arrow functions, so V8 sees every `.ts` function
 * on line 1 and most of them anonymous. {@link startProfile} therefore maps each frame back through tsx's
 * source maps (in the profiled process, where they are loaded) to its original line, and names anonymous
 * functions after the binding they are assigned to (`const resolve = (...) =>` is `resolve`).
 *
 * @since 0.1.0
 */
import { readFileSync, writeFileSync } from "node:fs"
import { Session } from "node:inspector/promises"
import { findSourceMap } from "node:module"
import { fileURLToPath } from "node:url"

interface CallFrame {
  functionName: string
  readonly url: string
  lineNumber: number
  columnNumber: number
}

interface CpuProfile {
  readonly nodes: ReadonlyArray<{ readonly id: number; readonly callFrame: CallFrame }>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

/** One function's share of a profile. */
export interface Hotspot {
  readonly name: string
  readonly selfMs: number
  readonly share: number
}

const frameName = (frame: CallFrame, root: string): string => {
  const url = frame.url.replace(/^file:\/\//, "").replace(root, "")
  const where = url === "" ? "" : ` ${url}:${frame.lineNumber + 1}`
  return `${frame.functionName === "" ? "(anonymous)" : frame.functionName}${where}`
}

const ignored = new Set(["(idle)", "(program)", "(root)"])

const sourceLines = new Map<string, ReadonlyArray<string>>()
/** A line of a source file: from the source map's copy when it has one (the file may have changed since). */
const lineOf = (url: string, line: number, content: string | undefined): string => {
  let lines = sourceLines.get(url)
  if (lines === undefined) {
    try {
      lines = (content ?? readFileSync(fileURLToPath(url), "utf8")).split("\n")
    } catch {
      lines = []
    }
    sourceLines.set(url, lines)
  }
  return lines[line] ?? ""
}

/** Maps frames of transpiled files to their original lines and names anonymous functions after their binding. */
const resolveFrames = (profile: CpuProfile): void => {
  for (const { callFrame: frame } of profile.nodes) {
    if (!frame.url.endsWith(".ts")) continue
    const entry = findSourceMap(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber)
    if (entry === undefined || !("originalLine" in entry)) continue
    frame.lineNumber = entry.originalLine
    frame.columnNumber = entry.originalColumn
    if (frame.functionName !== "") continue
    const text = lineOf(entry.originalSource, entry.originalLine, findSourceMap(frame.url)?.payload.sourcesContent?.[0])
    const before = /([A-Za-z_$][\w$]*)\s*[=:]\s*(?:async\s*)?(?:function\s*)?\(?\s*$/.exec(
      text.slice(0, entry.originalColumn)
    )
    const at = /^(?:async\s+)?(?!async\b|function\b)([A-Za-z_$][\w$]*)\s*\(/.exec(text.slice(entry.originalColumn))
    frame.functionName = before?.[1] ?? at?.[1] ?? ""
  }
}

/** The `limit` functions with the most self time in a profile file. */
export const hotspots = (file: string, limit = 20, root = `${process.cwd()}/`): ReadonlyArray<Hotspot> => {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]))
  const self = new Map<string, number>()
  let total = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const frame = frames.get(profile.samples[i]!)
    const dt = profile.timeDeltas[i] ?? 0
    if (frame === undefined || ignored.has(frame.functionName) || frame.url.startsWith("node:inspector")) continue
    const key = frameName(frame, root)
    self.set(key, (self.get(key) ?? 0) + dt)
    total += dt
  }
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, us]) => ({ name, selfMs: us / 1000, share: total === 0 ? 0 : us / total }))
}

/**
 * Profiles this process (through the inspector, sampling every 500 µs) until the returned function is
 * called, which writes the profile to `file`.
 */
export const startProfile = async (): Promise<(file: string) => Promise<void>> => {
  const session = new Session()
  session.connect()
  await session.post("Profiler.enable")
  await session.post("Profiler.setSamplingInterval", { interval: 500 })
  await session.post("Profiler.start")
  return async (file) => {
    const { profile } = await session.post("Profiler.stop")
    resolveFrames(profile as unknown as CpuProfile)
    writeFileSync(file, JSON.stringify(profile))
    session.disconnect()
  }
}

/** Formats hotspots as indented lines. */
export const formatHotspots = (title: string, spots: ReadonlyArray<Hotspot>): string =>
  [
    title,
    ...spots.map((s) => `  ${s.selfMs.toFixed(0).padStart(7)} ms ${(s.share * 100).toFixed(1).padStart(5)}%  ${s.name}`)
  ].join("\n")
