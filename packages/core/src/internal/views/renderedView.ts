/**
 * Rendered views whose flat `edges` array is built only when someone reads it. A render keeps its edges in
 * chunks shared with the previous render (see `edges.ts`); the WebSocket flush diffs chunks by identity and
 * never needs the flat array, which for a 195k-edge view is a 1.6 MB allocation per render that lives until
 * the next one (and so is promoted to the old generation). REST answers, snapshots and in-process callers
 * read `edges` as before: the array is built on first read and kept.
 *
 * @since 0.1.0
 */
import type { RenderedEdge, RenderedNode, RenderedView } from "../../views/View.js"
import { ChunkedList, chunksOf, valuesOf } from "./edges.js"

const chunksByView = new WeakMap<RenderedView, ReadonlyArray<ReadonlyArray<RenderedEdge>>>()

/**
 * A rendered view over `edges`: when they are chunked, `edges` is a getter (an own enumerable property, so
 * `JSON.stringify` and spreads see a plain array) and {@link edgeChunks} gives the chunks.
 *
 * @since 0.1.0
 * @category internal
 */
export const renderedView = (
  view: string,
  nodes: ReadonlyArray<RenderedNode>,
  edges: ReadonlyMap<string, RenderedEdge> | ReadonlyArray<RenderedEdge>,
  total: number,
  renderedAt: number
): RenderedView => {
  if (!(edges instanceof ChunkedList)) {
    const list = Array.isArray(edges)
      ? (edges as ReadonlyArray<RenderedEdge>)
      : valuesOf(edges as ReadonlyMap<string, RenderedEdge>)
    return { view, nodes, edges: list, total, renderedAt }
  }
  const chunked = edges
  const out: RenderedView = {
    view,
    nodes,
    get edges() {
      return chunked.list
    },
    total,
    renderedAt
  }
  chunksByView.set(out, chunksOf(chunked)!)
  return out
}

/**
 * The edge chunks of a view made by {@link renderedView} from chunked edges, else `undefined`.
 *
 * @since 0.1.0
 * @category internal
 */
export const edgeChunks = (view: RenderedView): ReadonlyArray<ReadonlyArray<RenderedEdge>> | undefined =>
  chunksByView.get(view)
