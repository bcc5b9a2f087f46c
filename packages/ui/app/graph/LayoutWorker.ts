/**
 * The layout's Web Worker: refines the placements the page sends ({@link LayoutRequest}) off the main thread
 * and sends the positions back, transferring the arrays.
 */
import { refine } from "./Forces.js"
import type { LayoutRequest, LayoutResponse } from "./Layout.js"

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<LayoutRequest>) => void) | null
  postMessage: (message: LayoutResponse, transfer: Array<Transferable>) => void
}

scope.onmessage = (event) => {
  const { id, problem, options } = event.data
  const result = refine(problem, options)
  scope.postMessage({ id, xs: problem.xs, ys: problem.ys, result }, [problem.xs.buffer, problem.ys.buffer])
}
