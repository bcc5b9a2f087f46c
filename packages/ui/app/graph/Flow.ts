/**
 * Animated flow on edges with live traffic: dashes that move from the side that opened the connections to the
 * side that accepted them, drawn on a 2D canvas over sigma's WebGL stage. An animation frame only moves the
 * dashes of the segments on screen (one path, one stroke); sigma never redraws for it. Segments are recomputed
 * after sigma renders (the camera or the data changed). Stops when nothing is live, the tab is hidden or the
 * user prefers reduced motion.
 */
import type Sigma from "sigma"
import type { EdgeAttributes, NodeAttributes, TopologyGraph } from "./GraphStore.js"

/** At most this many segments are animated (the busiest first). */
export const maxAnimatedEdges = 1500

/** Frames per second of the animation. */
const fps = 20

/** Whether an edge's traffic is live (changed recently, or the user looks at one of its ends). */
export type LivePredicate = (edge: string, source: string, target: string) => boolean

/** Live segments are re-collected this often, as liveness expires. */
const recollectMs = 2_000

/** Draws moving dashes along live edges. */
export class FlowOverlay {
  private readonly canvas: HTMLCanvasElement
  private readonly context: CanvasRenderingContext2D | null
  private segments = new Float32Array(0)
  private count = 0
  private frame = 0
  private lastDraw = 0
  private dirty = true
  private readonly reducedMotion: MediaQueryList | undefined
  private readonly onRender = () => {
    this.dirty = true
    this.schedule()
  }

  private collectedAt = 0

  constructor(
    private readonly sigma: Sigma<NodeAttributes, EdgeAttributes>,
    private readonly graph: TopologyGraph,
    private readonly isLive: LivePredicate
  ) {
    this.canvas = sigma.createCanvas("flow", { afterLayer: "stage", style: { pointerEvents: "none" } })
    this.canvas.classList.add("graph-flow")
    this.context = this.canvas.getContext("2d")
    this.reducedMotion = typeof matchMedia === "function" ? matchMedia("(prefers-reduced-motion: reduce)") : undefined
    sigma.on("afterRender", this.onRender)
    // Sigma drew its first frame before this overlay existed.
    this.onRender()
  }

  /** How many segments the last frame animated (for tests). */
  get animated(): number {
    return this.count
  }

  /** Stops animating and removes the canvas. */
  dispose(): void {
    cancelAnimationFrame(this.frame)
    this.sigma.off("afterRender", this.onRender)
    this.canvas.remove()
  }

  private schedule(): void {
    if (this.frame !== 0) return
    this.frame = requestAnimationFrame((time) => {
      this.frame = 0
      this.tick(time)
    })
  }

  private tick(time: number): void {
    if (this.dirty || time - this.collectedAt > recollectMs) {
      this.dirty = false
      this.collectedAt = time
      this.collect()
    }
    if (this.count === 0 || this.context === null) {
      this.clear()
      // Nothing live now; look again later (liveness comes with data, which renders and wakes us anyway).
      return
    }
    if (this.reducedMotion?.matches === true) {
      this.draw(0)
      return
    }
    if (time - this.lastDraw >= 1000 / fps - 2) {
      this.lastDraw = time
      this.draw(time)
    }
    this.schedule()
  }

  /** Screen segments (shortened to the nodes' rims) of the live edges on screen, busiest first. */
  private collect(): void {
    const { width, height } = this.sigma.getDimensions()
    const ratio = window.devicePixelRatio || 1
    if (this.canvas.width !== Math.round(width * ratio) || this.canvas.height !== Math.round(height * ratio)) {
      this.canvas.width = Math.round(width * ratio)
      this.canvas.height = Math.round(height * ratio)
      this.canvas.style.width = `${width}px`
      this.canvas.style.height = `${height}px`
    }
    const candidates: Array<{ c: number; s: [number, number, number, number] }> = []
    const camera = this.sigma.getCamera().getState().ratio
    const hovered = this.sigma.getGraphState().hasHovered
    this.graph.forEachEdge((edge, attributes, source, target) => {
      if (attributes.connections <= 0 || !this.isLive(edge, source, target)) return
      if (hovered && !this.sigma.getEdgeState(edge).isHighlighted) return
      const a = this.sigma.getNodeDisplayData(source)
      const b = this.sigma.getNodeDisplayData(target)
      if (a === undefined || b === undefined || a.visibility === "hidden" || b.visibility === "hidden") return
      const p = this.sigma.framedGraphToViewport(a)
      const q = this.sigma.framedGraphToViewport(b)
      if (
        (p.x < 0 && q.x < 0) ||
        (p.y < 0 && q.y < 0) ||
        (p.x > width && q.x > width) ||
        (p.y > height && q.y > height)
      ) {
        return
      }
      const dx = q.x - p.x
      const dy = q.y - p.y
      const length = Math.hypot(dx, dy)
      const ra = this.sigma.scaleSize(a.size, camera) + 2
      const rb = this.sigma.scaleSize(b.size, camera) + 4
      if (length <= ra + rb + 4) return
      const ux = dx / length
      const uy = dy / length
      candidates.push({
        c: attributes.connections,
        s: [p.x + ux * ra, p.y + uy * ra, q.x - ux * rb, q.y - uy * rb]
      })
    })
    if (candidates.length > maxAnimatedEdges) {
      candidates.sort((x, y) => y.c - x.c)
      candidates.length = maxAnimatedEdges
    }
    if (this.segments.length < candidates.length * 4) this.segments = new Float32Array(candidates.length * 4)
    for (const [i, candidate] of candidates.entries()) this.segments.set(candidate.s, i * 4)
    this.count = candidates.length
  }

  private clear(): void {
    this.context?.clearRect(0, 0, this.canvas.width, this.canvas.height)
  }

  private draw(time: number): void {
    const ctx = this.context!
    const ratio = window.devicePixelRatio || 1
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0)
    ctx.clearRect(0, 0, this.canvas.width / ratio, this.canvas.height / ratio)
    ctx.beginPath()
    const s = this.segments
    for (let i = 0; i < this.count; i++) {
      ctx.moveTo(s[i * 4]!, s[i * 4 + 1]!)
      ctx.lineTo(s[i * 4 + 2]!, s[i * 4 + 3]!)
    }
    ctx.strokeStyle = "rgba(47, 91, 211, 0.75)"
    ctx.lineWidth = 1.6
    ctx.lineCap = "round"
    ctx.setLineDash([2, 10])
    ctx.lineDashOffset = -((time / 1000) * 24) % 12
    ctx.stroke()
  }
}
