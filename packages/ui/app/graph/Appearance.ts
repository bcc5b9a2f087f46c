/**
 * How a graph node or edge looks, from its data: colour by status, size by a chosen metric (on absolute
 * scales, so one node's change never resizes the others), shape by the node's kind. Pure, so it is tested
 * directly; {@link GraphStore} writes these values as graphology attributes and sigma draws them.
 */
import type { SizeMetric } from "../HashState.js"
import type { NodeStatus } from "../Protocol.js"

/** Node colours by status (the same hues as the table's status dots). */
export const statusColors: Readonly<Record<NodeStatus, string>> = {
  healthy: "#1f9d55",
  warning: "#c77700",
  critical: "#d92d20",
  stopped: "#98a2b3",
  unknown: "#667085"
}

/** The colour of pseudo nodes (The Internet, unknown peers): neutral, drawn hollow. */
export const pseudoColor = "#7a8699"

/** The colour of collapsed groups' rims is their worst member's status; their fill is this. */
export const edgeColor = "#b4bfcd"

/** Edges touching the hovered or selected node. */
export const edgeHighlightColor = "#2f5bd3"

/**
 * Smallest and largest node radius, in layout units (neighbouring nodes are `Placement.spacing` = 10 apart):
 * sizes scale with the picture, so a large graph is drawn as dots and zooming in shows shapes and labels.
 */
export const minNodeSize = 2.2
export const maxNodeSize = 4.6

/** Collapsed groups grow with their member count up to this radius (their layout disc is up to 15). */
export const maxGroupSize = 12

/** Sigma shape names this UI declares (see `SigmaSetup`), in declaration order. */
export const shapeNames = ["circle", "square", "triangle", "diamond", "hexagon"] as const

/** A shape sigma can draw. */
export type ShapeName = (typeof shapeNames)[number]

/** The sigma shape for a rendered node's shape (`heptagon` and `cloud` have no SDF here: close stand-ins). */
export const shapeOf = (shape: string): ShapeName => {
  switch (shape) {
    case "square":
      return "square"
    case "triangle":
      return "triangle"
    case "hexagon":
    case "heptagon":
      return "hexagon"
    case "cloud":
      return "diamond"
    default:
      return "circle"
  }
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x))

/**
 * Where a metric value sits on its scale, from 0 to 1, or `undefined` without a value: CPU percent on a square
 * root scale up to 200% (two cores), memory on a log scale from 1 MiB to 64 GiB, connections on a log scale
 * up to 1,024.
 */
export const metricScale = (metric: SizeMetric, value: number | undefined): number | undefined => {
  if (value === undefined || !Number.isFinite(value)) return undefined
  switch (metric) {
    case "cpu":
      return clamp01(Math.sqrt(Math.max(0, value) / 200))
    case "memory":
      return value <= 0 ? 0 : clamp01((Math.log2(value) - 20) / 16)
    case "connections":
      return clamp01(Math.log2(1 + Math.max(0, value)) / 10)
  }
}

/** A node's radius for a metric value (the smallest size without a value). */
export const nodeSize = (metric: SizeMetric, value: number | undefined): number => {
  const scaled = metricScale(metric, value)
  return scaled === undefined
    ? minNodeSize
    : Math.round((minNodeSize + (maxNodeSize - minNodeSize) * scaled) * 100) / 100
}

/** A collapsed group's radius for its member count. */
export const groupSize = (members: number): number =>
  Math.min(maxGroupSize, Math.round((maxNodeSize + 0.9 * Math.sqrt(Math.max(1, members))) * 100) / 100)

/** An edge's width for its connection count. */
export const edgeSize = (connections: number): number =>
  Math.round(Math.min(1.6, 0.35 + 0.2 * Math.log2(1 + Math.max(0, connections))) * 100) / 100

/** Worst first: the status a group shows is its worst member's. */
const severity: Readonly<Record<NodeStatus, number>> = { critical: 4, warning: 3, unknown: 2, healthy: 1, stopped: 0 }

/** The worse of two statuses (critical > warning > unknown > healthy > stopped). */
export const worstStatus = (a: NodeStatus, b: NodeStatus): NodeStatus => (severity[b] > severity[a] ? b : a)
