/**
 * The sigma.js side of the graph, loaded on demand (its chunk is most of the graph's weight, so the page
 * starts, signs in and subscribes while it loads): the WebGL renderer over the {@link GraphStore}'s graph,
 * hover highlighting, the camera (zoom, fit), and the flow animation. One instance per picture: it is
 * created on a filled graph (one full draw, where following thousands of single-node additions would cost
 * more), and the graph and its positions outlive it (another view or table mode disposes it).
 *
 * **Gotchas**: sigma 4.0.4's `setGraph` leaves its parallel-edge index on the old graph, so the renderer
 * never swaps graphs; it is replaced instead.
 */
import Sigma from "sigma"
import { minNodeSize } from "./Appearance.js"
import { FlowOverlay, type LivePredicate } from "./Flow.js"
import type { EdgeAttributes, NodeAttributes, TopologyGraph } from "./GraphStore.js"
import { spacing } from "./Placement.js"
import { primitives, type Sizing, settings, styles } from "./SigmaSetup.js"

/** The largest scale of a framed picture: a layout unit never takes more screen pixels than this. */
export const maxPixelsPerUnit = 5

/** In a framed picture, the smallest node is at least this big on screen (radius, pixels). */
export const minNodePixels = 2.5

/** Callbacks of a {@link GraphRenderer}. */
export interface RendererHandlers {
  /** The pointer entered a node (`undefined`: left it). */
  readonly onHover: (node: string | undefined) => void
  readonly onClick: (node: string, event: MouseEvent | TouchEvent) => void
  /** Sigma drew a frame. */
  readonly onFrame: () => void
  /** The camera moved (pan, zoom). */
  readonly onCamera: () => void
  readonly isLive: LivePredicate
}

interface Extent {
  readonly minX: number
  readonly minY: number
  readonly maxX: number
  readonly maxY: number
}

/** Where the nodes are, their sizes included. */
const extentOf = (graph: TopologyGraph): Extent | undefined => {
  if (graph.order === 0) return undefined
  let minX = Number.POSITIVE_INFINITY
  let minY = Number.POSITIVE_INFINITY
  let maxX = Number.NEGATIVE_INFINITY
  let maxY = Number.NEGATIVE_INFINITY
  graph.forEachNode((_id, a) => {
    minX = Math.min(minX, a.x - a.size)
    minY = Math.min(minY, a.y - a.size)
    maxX = Math.max(maxX, a.x + a.size)
    maxY = Math.max(maxY, a.y + a.size)
  })
  return { minX, minY, maxX, maxY }
}

/** Draws the graph. */
export class GraphRenderer {
  readonly sigma: Sigma<NodeAttributes, EdgeAttributes>
  /** Node sizes are scaled up in pictures of many nodes, so they stay visible. */
  private readonly sizing: Sizing = { scale: 1 }
  private readonly flow: FlowOverlay
  private highlighted: string | undefined

  constructor(
    private readonly graph: TopologyGraph,
    container: HTMLElement,
    handlers: RendererHandlers
  ) {
    // The picture is fitted to the graph's extent at the first frame and keeps that scale ("once"), so an
    // update never moves it. Sizes are scaled up where the nodes would be specks, and a small graph is shown
    // at a capped scale (the camera steps back) rather than blown up.
    const extent = extentOf(graph)
    const { width, height } = container.getBoundingClientRect()
    const side = Math.max(1, Math.min(width, height))
    const span = extent === undefined ? 1 : Math.max(extent.maxX - extent.minX, extent.maxY - extent.minY, 1)
    const pixelsPerUnit = side / span
    this.sizing.scale = Math.min(4, Math.max(1, minNodePixels / (minNodeSize * pixelsPerUnit)))
    const sigma = new Sigma<NodeAttributes, EdgeAttributes>(graph, container, {
      primitives: primitives(),
      styles: styles(this.sizing) as never,
      settings
    })
    this.sigma = sigma
    if (pixelsPerUnit > maxPixelsPerUnit) sigma.getCamera().setState({ ratio: pixelsPerUnit / maxPixelsPerUnit })
    sigma.on("afterRender", handlers.onFrame)
    sigma.on("enterNode", ({ node }) => handlers.onHover(node))
    sigma.on("leaveNode", () => handlers.onHover(undefined))
    sigma.on("clickNode", ({ node, event }) => handlers.onClick(node, event.original))
    sigma.on("doubleClickNode", ({ event }) => event.preventSigmaDefault())
    sigma.getCamera().on("updated", handlers.onCamera)
    this.flow = new FlowOverlay(sigma, graph, handlers.isLive)
  }

  /** Edges the flow animation draws. */
  get animatedEdges(): number {
    return this.flow.animated
  }

  /** Highlights a node's neighbours and edges (the rest is dimmed by the styles), or nothing. */
  highlight(node: string | undefined): void {
    const graph = this.graph
    const previous = this.highlighted
    if (previous !== undefined && graph.hasNode(previous)) {
      this.sigma.setNodesState(graph.neighbors(previous), { isHighlighted: false })
      this.sigma.setEdgesState(graph.edges(previous), { isHighlighted: false })
    }
    this.highlighted = node
    if (node === undefined || !graph.hasNode(node)) return
    this.sigma.setNodesState(graph.neighbors(node), { isHighlighted: true })
    this.sigma.setEdgesState(graph.edges(node), { isHighlighted: true })
  }

  /** Where a node is on screen, relative to the container (CSS pixels). */
  screenPosition(id: string): { x: number; y: number } | undefined {
    if (!this.graph.hasNode(id)) return undefined
    const a = this.graph.getNodeAttributes(id)
    return this.sigma.graphToViewport({ x: a.x, y: a.y })
  }

  zoomIn(): void {
    void this.sigma.getCamera().zoomIn({ factor: 1.5, duration: 200 })
  }

  zoomOut(): void {
    void this.sigma.getCamera().zoomOut({ factor: 1.5, duration: 200 })
  }

  /**
   * Frames every node with the camera (the picture's scale was fixed at the first frame; nodes added since,
   * or a layout that changed the extent, may lie outside it). Small graphs stay at a capped scale.
   */
  fit(animate = true): void {
    const extent = extentOf(this.graph)
    if (extent === undefined) return
    const pad = spacing * 2
    const a = this.sigma.graphToFramedGraph({ x: extent.minX - pad, y: extent.minY - pad })
    const b = this.sigma.graphToFramedGraph({ x: extent.maxX + pad, y: extent.maxY + pad })
    const { width, height } = this.sigma.getDimensions()
    const span = Math.max(extent.maxX - extent.minX, extent.maxY - extent.minY, 1) + 2 * pad
    const framed = Math.max(Math.abs(b.x - a.x), Math.abs(b.y - a.y), 1e-6)
    // At ratio r the framed span takes side / r pixels: keep it at most maxPixelsPerUnit per unit.
    const side = Math.max(1, Math.min(width, height))
    const ratio = Math.max(framed, (side * framed) / (span * maxPixelsPerUnit))
    const state = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2, ratio, angle: 0 }
    const camera = this.sigma.getCamera()
    if (animate) void camera.animate(state, { duration: 300 })
    else camera.setState(state)
  }

  dispose(): void {
    this.flow.dispose()
    this.sigma.kill()
  }
}
