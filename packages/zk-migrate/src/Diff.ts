/**
 * Comparing two views node by node: every difference, with a short human-readable detail.
 *
 * @since 0.1.0
 */
import { Acl } from "@orchestrator/core/zookeeper"
import type { Difference } from "./Errors.js"
import type { Entry, View } from "./Policy.js"
import type { Snapshot } from "./ZNode.js"

/**
 * Whether two byte arrays are equal.
 *
 * @since 0.1.0
 * @category utils
 */
export const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean =>
  a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)

const preview = (data: Uint8Array): string => {
  const text = Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, 24)).toString("utf8")
  return /^[\x20-\x7e]*$/.test(text)
    ? `${JSON.stringify(text)}${data.byteLength > 24 ? "..." : ""} (${data.byteLength} B)`
    : `${data.byteLength} bytes`
}

/**
 * The differences of one node present on both sides (empty when equal).
 *
 * @since 0.1.0
 * @category utils
 */
export const compareEntry = (path: string, expected: Entry, actual: Entry): ReadonlyArray<Difference> => {
  const out: Array<Difference> = []
  if (!bytesEqual(expected.data, actual.data)) {
    out.push({ path, kind: "data", detail: `source ${preview(expected.data)}, target ${preview(actual.data)}` })
  }
  if (!Acl.equals(expected.acl, actual.acl)) {
    out.push({
      path,
      kind: "acl",
      detail: `source [${Acl.canonical(expected.acl)}], target [${Acl.canonical(actual.acl)}]`
    })
  }
  if (expected.kind !== actual.kind) {
    out.push({ path, kind: "kind", detail: `source ${expected.kind}, target ${actual.kind}` })
  }
  return out
}

/**
 * Every difference between the view the target should hold and the one it holds, sorted by path.
 *
 * @since 0.1.0
 * @category utils
 */
export const diff = (expected: View, actual: View): ReadonlyArray<Difference> => {
  const out: Array<Difference> = []
  for (const [path, entry] of expected) {
    const other = actual.get(path)
    if (other === undefined)
      out.push({ path, kind: "missing", detail: `missing on the target (${preview(entry.data)})` })
    else out.push(...compareEntry(path, entry, other))
  }
  for (const [path, entry] of actual) {
    if (!expected.has(path)) out.push({ path, kind: "extra", detail: `only on the target (${preview(entry.data)})` })
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.kind < b.kind ? -1 : 1))
}

/**
 * Parents whose sequence counter (the next sequential suffix: child creates, i.e. `(cversion +
 * numChildren) / 2`) is lower on the target than on the source: a sequential create there would reuse a
 * suffix the source already handed out.
 *
 * @since 0.1.0
 * @category utils
 */
export const counterDifferences = (source: Snapshot, target: Snapshot, expected: View): ReadonlyArray<Difference> => {
  const out: Array<Difference> = []
  const counter = (stat: { readonly cversion: number; readonly numChildren: number }) =>
    (stat.cversion + stat.numChildren) / 2
  for (const path of expected.keys()) {
    const s = source.nodes.get(path)
    const t = target.nodes.get(path)
    if (s !== undefined && t !== undefined && counter(t.stat) < counter(s.stat)) {
      out.push({
        path,
        kind: "counter",
        detail: `sequence counter source ${counter(s.stat)}, target ${counter(t.stat)}`
      })
    }
  }
  return out
}
