/**
 * The benchmark's floor: a bare page that fetches a graph with given positions (`graph.json`), draws it, and
 * marks when the first frame is on screen. `window.bare.recolour(share)` recolours that share of the nodes
 * and resolves with the time until the redraw is on screen (one redraw). No app, layout, grouping or
 * WebSocket. `?look=sigma` (the floor) draws with sigma's defaults; `?look=ui` draws with the UI's own
 * renderer (`app/graph/Renderer.ts`: its shapes, arrows, styles and flow overlay), so the UI's overhead over
 * its drawing alone shows too. Plain JavaScript, so the repository's Node type-check leaves it alone.
 */
import { DirectedGraph } from "graphology"
import Sigma from "sigma"

const frame = () => new Promise((resolve) => requestAnimationFrame(resolve))

/**
 * @typedef {{ id: string, x: number, y: number, size: number, color: string, label: string } & Record<string, unknown>} BareNode
 * @typedef {{ id: string, source: string, target: string } & Record<string, unknown>} BareEdge
 */

const run = async () => {
  const query = new URLSearchParams(location.search)
  const uiLook = query.get("look") === "ui"
  /** @type {{ nodes: Array<BareNode>, edges: Array<BareEdge> }} */
  const data = await (await fetch("./graph.json")).json()
  performance.mark("bare:data")
  const graph = new DirectedGraph()
  for (const { id, ...attributes } of data.nodes) {
    graph.addNode(
      id,
      uiLook
        ? attributes
        : { x: attributes.x, y: attributes.y, size: attributes.size, color: attributes.color, label: attributes.label }
    )
  }
  for (const { id, source, target, ...attributes } of data.edges) {
    graph.addDirectedEdgeWithKey(id, source, target, uiLook ? attributes : { size: 1 })
  }
  const container = /** @type {HTMLElement} */ (document.getElementById("graph"))
  // The same size as the UI's graph area (the benchmark passes it), so both draw the same pixels.
  if (query.has("w")) container.style.width = `${query.get("w")}px`
  if (query.has("h")) container.style.height = `${query.get("h")}px`
  let renders = 1
  performance.mark("bare:built")
  /** @type {Sigma} */
  let sigma
  if (uiLook) {
    const { GraphRenderer } = await import("../../app/graph/Renderer.ts")
    const ignore = () => undefined
    const renderer = new GraphRenderer(/** @type {never} */ (graph), container, {
      onHover: ignore,
      onClick: ignore,
      onFrame: ignore,
      onCamera: ignore,
      isLive: () => false
    })
    sigma = /** @type {never} */ (renderer.sigma)
  } else sigma = new Sigma(graph, container)
  performance.mark("bare:ctor")
  sigma.on("afterRender", () => renders++)
  // The frame is on screen once the browser committed it: the first animation frame runs before that commit
  // (the constructor drew outside one), the second after it. (The UI draws inside an animation frame, so its
  // next one already follows the commit; an update here also draws inside one, hence one frame below.)
  await frame()
  await frame()
  performance.mark("bare:first-frame")
  let round = 0
  /** @param {number} share */
  const recolour = async (share) => {
    round++
    const before = renders
    const start = performance.now()
    const step = Math.max(1, Math.round(1 / share))
    const color = round % 2 === 0 ? "#1f9d55" : "#d92d20"
    data.nodes.forEach((n, i) => {
      if ((i + round) % step === 0) graph.mergeNodeAttributes(n.id, { color, size: n.size + (round % 2) })
    })
    await new Promise((resolve) => sigma.once("afterRender", () => resolve(undefined)))
    await frame()
    const ms = performance.now() - start
    return { ms, renders: renders - before }
  }
  Object.assign(window, {
    bare: {
      recolour,
      get renders() {
        return renders
      }
    }
  })
}

void run()
