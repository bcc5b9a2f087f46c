/** Go duration strings (`30s`, `1m30s`, `500ms`, `0`), as Argo's `DurationString` accepts them (internal). */

const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** Milliseconds of a Go duration string, or `undefined` when it does not parse. */
export const parseDuration = (text: string): number | undefined => {
  const s = text.trim()
  if (s === "0") return 0
  const sign = s.startsWith("-") ? -1 : 1
  let rest = s.replace(/^[+-]/, "")
  if (rest === "") return undefined
  let total = 0
  while (rest.length > 0) {
    const match = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/.exec(rest)
    if (match === null) return undefined
    total += Number(match[1]) * units[match[2]!]!
    rest = rest.slice(match[0].length)
  }
  return sign * total
}
