/**
 * Assertions for plugin tests that fail with a message saying what was there instead. They throw Node's
 * `AssertionError`, so they work under vitest, Jest, `node:test` and mocha.
 *
 * @since 0.1.0
 */
import { AssertionError } from "node:assert"
import type { Plugin, Report, View } from "@orchestrator/core"

const fail = (message: string, actual?: unknown, expected?: unknown): never => {
  throw new AssertionError({ message, actual, expected, operator: "plugin-assertion" })
}

const list = (items: ReadonlyArray<string>): string => (items.length === 0 ? "none" : items.slice(0, 20).join(", "))

/**
 * The node `id` of `topology` in a fragment; fails listing the topologies or ids it has.
 *
 * @since 0.1.0
 * @category assertions
 */
export const expectNode = (fragment: Plugin.ReportFragment, topology: string, id: string): Report.Node => {
  const nodes = fragment.topologies[topology]
  if (nodes === undefined)
    return fail(`no topology "${topology}" in the fragment (it has ${list(Object.keys(fragment.topologies))})`)
  const node = nodes[id]
  if (node === undefined) return fail(`no node "${id}" in topology "${topology}" (it has ${list(Object.keys(nodes))})`)
  return node
}

/**
 * Checks a latest field of a node (its value, or only that it exists when `value` is omitted).
 *
 * @since 0.1.0
 * @category assertions
 */
export const expectLatest = (node: Report.Node, key: string, value?: string | number): string => {
  const field = node.latest[key]
  if (field === undefined)
    return fail(`node "${node.id}" has no latest field "${key}" (it has ${list(Object.keys(node.latest))})`)
  if (value !== undefined && field.value !== String(value)) {
    return fail(
      `node "${node.id}": latest "${key}" is "${field.value}", expected "${value}"`,
      field.value,
      String(value)
    )
  }
  return field.value
}

/**
 * Checks that a node has samples of a metric; returns the last value.
 *
 * @since 0.1.0
 * @category assertions
 */
export const expectMetric = (node: Report.Node, metric: string): number => {
  const samples = node.metrics[metric]
  if (samples === undefined || samples.length === 0) {
    return fail(`node "${node.id}" has no samples of metric "${metric}" (it has ${list(Object.keys(node.metrics))})`)
  }
  return samples[samples.length - 1]![1]
}

/**
 * Checks that every health entry (`ProbeHealth` from a run, or `HookHealth` from `health()`) is `ok`.
 *
 * @since 0.1.0
 * @category assertions
 */
export const expectHealthy = (
  health: ReadonlyArray<{
    readonly name: string
    readonly status: string
    readonly message?: string
    readonly id?: string
  }>
): void => {
  const bad = health.filter((entry) => entry.status !== "ok" && entry.status !== "idle")
  if (bad.length > 0) {
    fail(
      `unhealthy: ${bad.map((entry) => `${entry.id ?? entry.name}=${entry.status}${entry.message !== undefined ? ` (${entry.message})` : ""}`).join("; ")}`
    )
  }
}

/**
 * The health entry of one hook (`<plugin>/<kind>/<name>`), with a status check when `status` is given.
 *
 * @since 0.1.0
 * @category assertions
 */
export const expectHealth = <H extends { readonly name: string; readonly status: string; readonly id?: string }>(
  health: ReadonlyArray<H>,
  id: string,
  status?: H["status"]
): H => {
  const entry = health.find((candidate) => (candidate.id ?? candidate.name) === id)
  if (entry === undefined) return fail(`no health entry "${id}" (there are ${list(health.map((e) => e.id ?? e.name))})`)
  if (status !== undefined && entry.status !== status) {
    return fail(`health "${id}" is ${entry.status}, expected ${status}`, entry.status, status)
  }
  return entry
}

/**
 * The rendered node `id` of a view's rendering; fails listing the ids it has.
 *
 * @since 0.1.0
 * @category assertions
 */
export const expectRendered = (rendering: View.Rendering, id: string): View.RenderedNode => {
  const node = rendering.nodes.get(id)
  if (node === undefined) return fail(`the rendering has no node "${id}" (it has ${list([...rendering.nodes.keys()])})`)
  return node
}
