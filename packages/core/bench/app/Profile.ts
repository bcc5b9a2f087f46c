/**
 * Reads a V8 `.cpuprofile` (from `--cpu-prof`) and lists the functions with the most self time, so a missed
 * target comes with where the time went.
 *
 * **Gotchas** tsx compiles with whitespace minified and wraps arrow functions, so V8 sees every `.ts` function
 * on line 1 and most of them anonymous. {@link startProfile} therefore names anonymous functions after the
 * binding they are assigned to in the code V8 ran (`const resolve=(...)=>` is `resolve`, read through the
 * inspector, so later edits of the file do not matter) and maps each frame through tsx's source maps (loaded
 * in the profiled process) to its original line.
 *
 * @since 0.1.0
 */
import { readFileSync, writeFileSync } from "node:fs"
import { Session } from "node:inspector/promises"
import { findSourceMap } from "node:module"

interface CallFrame {
  functionName: string
  readonly scriptId: string
  readonly url: string
  lineNumber: number
  columnNumber: number
}

interface CpuProfile {
  readonly nodes: ReadonlyArray<{
    readonly id: number
    readonly callFrame: CallFrame
    readonly children?: ReadonlyArray<number>
  }>
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

/** `name = (`, `name: async (`, and esbuild's `name=__name(` (tsx keeps names by wrapping functions). */
const bindingBefore = /([A-Za-z_$][\w$]*)\s*[=:]\s*(?:__name\()?\s*(?:async\s*)?(?:function\s*)?\(?\s*$/
const methodAt = /^(?:async\s+)?(?!async\b|function\b)([A-Za-z_$][\w$]*)\s*\(/

/** Names anonymous frames of `.ts` files from the generated code, then maps them to their original lines. */
const resolveFrames = async (session: Session, profile: CpuProfile): Promise<void> => {
  const sources = new Map<string, ReadonlyArray<string>>()
  const generated = async (scriptId: string): Promise<ReadonlyArray<string>> => {
    let lines = sources.get(scriptId)
    if (lines === undefined) {
      const { scriptSource } = await session.post("Debugger.getScriptSource", { scriptId }).catch(() => ({
        scriptSource: ""
      }))
      lines = scriptSource.split("\n")
      sources.set(scriptId, lines)
    }
    return lines
  }
  await session.post("Debugger.enable")
  try {
    for (const { callFrame: frame } of profile.nodes) {
      if (!frame.url.endsWith(".ts")) continue
      if (frame.functionName === "") {
        const line = (await generated(frame.scriptId))[frame.lineNumber] ?? ""
        const before = bindingBefore.exec(line.slice(Math.max(0, frame.columnNumber - 200), frame.columnNumber))
        const at = methodAt.exec(line.slice(frame.columnNumber, frame.columnNumber + 200))
        frame.functionName = before?.[1] ?? at?.[1] ?? ""
      }
      const entry = findSourceMap(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber)
      if (entry !== undefined && "originalLine" in entry) {
        frame.lineNumber = entry.originalLine
        frame.columnNumber = entry.originalColumn
      }
    }
  } finally {
    await session.post("Debugger.disable")
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

/** A stretch of a profile in which the thread never went idle (the event loop was blocked). */
export interface Stall {
  readonly ms: number
  /** Seconds from the start of the profile. */
  readonly at: number
  /** Where the time went: the outermost frame of the app (`packages/`) in each sample's stack, or GC. */
  readonly by: ReadonlyArray<{ readonly name: string; readonly ms: number }>
}

/** The `limit` longest stretches without idle samples that last at least `minMs`, longest first. */
export const stalls = (file: string, minMs = 200, limit = 5, root = `${process.cwd()}/`): ReadonlyArray<Stall> => {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id)
  const outermost = new Map<number, string>()
  const attribute = (id: number): string => {
    let name = outermost.get(id)
    if (name !== undefined) return name
    const frame = nodes.get(id)!.callFrame
    name = frame.functionName === "(garbage collector)" ? "GC" : frameName(frame, root)
    for (let at = parent.get(id); at !== undefined; at = parent.get(at)) {
      const f = nodes.get(at)!.callFrame
      if (f.url.includes("/packages/")) name = frameName(f, root)
    }
    outermost.set(id, name)
    return name
  }
  const out: Array<Stall> = []
  let start = 0
  let busy = 0
  let by = new Map<string, number>()
  let time = 0
  const close = () => {
    if (busy >= minMs * 1000) {
      const top = [...by].sort((a, b) => b[1] - a[1]).slice(0, 4)
      out.push({ ms: busy / 1000, at: start / 1e6, by: top.map(([name, us]) => ({ name, ms: us / 1000 })) })
    }
    busy = 0
    by = new Map()
  }
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i] ?? 0
    const id = profile.samples[i]!
    if (nodes.get(id)?.callFrame.functionName === "(idle)") {
      close()
      continue
    }
    if (busy === 0) start = time
    const dt = profile.timeDeltas[i + 1] ?? 0
    busy += dt
    const name = attribute(id)
    by.set(name, (by.get(name) ?? 0) + dt)
  }
  close()
  return out.sort((a, b) => b.ms - a.ms).slice(0, limit)
}

/** Formats stalls as indented lines. */
export const formatStalls = (title: string, list: ReadonlyArray<Stall>): string =>
  [
    title,
    ...list.map(
      (s) =>
        `  ${s.ms.toFixed(0).padStart(7)} ms at ${s.at.toFixed(1)} s: ` +
        s.by.map((b) => `${b.name} ${b.ms.toFixed(0)} ms`).join(", ")
    )
  ].join("\n")

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
    await resolveFrames(session, profile as unknown as CpuProfile)
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
