/**
 * Compiles a search AST into a predicate over a subject: a rendered node, the report nodes it stands for, or
 * both. A term matches a subject when it matches the rendered node or any of the report nodes.
 *
 * @since 0.1.0
 */
import type { Node } from "../../Report.js"
import type { CompareOp, Query } from "../../Search.js"
import type { RenderedNode } from "../../views/View.js"
import { nodeLabel } from "../views/describe.js"

/**
 * What a query is evaluated against.
 *
 * @since 0.1.0
 * @category internal
 */
export interface Subject {
  readonly rendered: RenderedNode | undefined
  readonly nodes: ReadonlyArray<Node>
}

/**
 * A compiled query.
 *
 * @since 0.1.0
 * @category internal
 */
export type Predicate = (subject: Subject) => boolean

const includes = (value: string, needle: string): boolean => value.toLowerCase().includes(needle)

const textInRendered = (n: RenderedNode, t: string): boolean => {
  if (includes(n.label, t) || includes(n.labelMinor, t) || includes(n.id, t)) return true
  for (const key in n.labels) if (includes(key, t) || includes(n.labels[key]!, t)) return true
  return false
}

const textInNode = (n: Node, t: string): boolean => {
  if (includes(n.id, t)) return true
  for (const key in n.latest) if (includes(n.latest[key]!.value, t)) return true
  for (const key in n.labels) if (includes(key, t) || includes(n.labels[key]!.value, t)) return true
  for (const key in n.sets) for (const value of n.sets[key]!) if (includes(value, t)) return true
  return false
}

/** Calls `f` with each value a key names on a rendered node; stops when `f` returns true. */
const renderedValues = (n: RenderedNode, key: string, f: (value: string) => boolean): boolean => {
  if (key === "label" && f(n.label)) return true
  if (key === "id" && f(n.id)) return true
  if (key === "topology" && f(n.topology)) return true
  const label = n.labels[key]
  if (label !== undefined && f(label)) return true
  const parents = n.parents[key]
  if (parents !== undefined) for (const id of parents) if (f(id)) return true
  return false
}

const nodeValues = (n: Node, key: string, f: (value: string) => boolean): boolean => {
  if (key === "label" && f(nodeLabel(n))) return true
  if (key === "id" && f(n.id)) return true
  if (key === "topology" && f(n.topology)) return true
  const latest = n.latest[key]
  if (latest !== undefined && f(latest.value)) return true
  const label = n.labels[key]
  if (label !== undefined && f(label.value)) return true
  const set = n.sets[key]
  if (set !== undefined) for (const value of set) if (f(value)) return true
  const parents = n.parents[key]
  if (parents !== undefined) for (const id of parents) if (f(id)) return true
  return false
}

const anyValue = (s: Subject, key: string, f: (value: string) => boolean): boolean => {
  if (s.rendered !== undefined && renderedValues(s.rendered, key, f)) return true
  for (const node of s.nodes) if (nodeValues(node, key, f)) return true
  return false
}

const metricAliases: Readonly<Record<string, string>> = { mem: "memory" }

const compare = (op: CompareOp, a: number, b: number): boolean => {
  switch (op) {
    case ">":
      return a > b
    case ">=":
      return a >= b
    case "<":
      return a < b
    case "<=":
      return a <= b
    case "=":
      return a === b
    case "!=":
      return a !== b
  }
}

const numeric = (text: string | undefined): number | undefined => {
  if (text === undefined || text.trim() === "") return undefined
  const n = Number(text)
  return Number.isFinite(n) ? n : undefined
}

const nodeNumber = (n: Node, key: string): number | undefined => {
  const samples = n.metrics[key]
  if (samples !== undefined && samples.length > 0) return samples[samples.length - 1]![1]
  return numeric(n.latest[key]?.value) ?? numeric(n.labels[key]?.value)
}

/** The numbers a comparison reads: the rendered node's metric first (a group's sum), else each member's. */
const numbers = (s: Subject, key: string, f: (value: number) => boolean): boolean => {
  if (s.rendered !== undefined) {
    const metric = s.rendered.metrics[key] ?? numeric(s.rendered.labels[key])
    if (metric !== undefined) return f(metric)
  }
  for (const node of s.nodes) {
    const value = nodeNumber(node, key)
    if (value !== undefined && f(value)) return true
  }
  return false
}

/**
 * Compiles a query AST into a predicate.
 *
 * @since 0.1.0
 * @category internal
 */
export const compilePredicate = (query: Query): Predicate => {
  switch (query._tag) {
    case "All":
      return () => true
    case "Text": {
      const t = query.text
      return (s) => {
        if (s.rendered !== undefined && textInRendered(s.rendered, t)) return true
        for (const node of s.nodes) if (textInNode(node, t)) return true
        return false
      }
    }
    case "Field": {
      const { key, value } = query
      const has = (s: Subject) => anyValue(s, key, () => true)
      if (value === "*") return has
      const text = compilePredicate({ _tag: "Text", text: query.text })
      return (s) => anyValue(s, key, (v) => includes(v, value)) || (!has(s) && text(s))
    }
    case "Equals": {
      const { key, value, negate } = query
      const equal = (v: string) => v.toLowerCase() === value
      return negate ? (s) => !anyValue(s, key, equal) : (s) => anyValue(s, key, equal)
    }
    case "Compare": {
      const key = metricAliases[query.key] ?? query.key
      const { op, value } = query
      if (op === "!=") return (s) => !numbers(s, key, (v) => v === value)
      return (s) => numbers(s, key, (v) => compare(op, v, value))
    }
    case "And": {
      const terms = query.terms.map(compilePredicate)
      return (s) => terms.every((t) => t(s))
    }
    case "Or": {
      const terms = query.terms.map(compilePredicate)
      return (s) => terms.some((t) => t(s))
    }
  }
}
