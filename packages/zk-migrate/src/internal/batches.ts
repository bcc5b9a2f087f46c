/**
 * Splitting operations into transactions that stay under the server's `jute.maxbuffer`.
 *
 * @internal
 */
import { Op } from "@orchestrator/core/zookeeper"

/** Limits of one transaction. */
export interface BatchLimits {
  readonly maxOps: number
  readonly maxBytes: number
}

/** Groups ops in order into batches of at most `maxOps` and about `maxBytes` (a larger op goes alone). */
export const batches = (ops: ReadonlyArray<Op.Op>, limits: BatchLimits): ReadonlyArray<ReadonlyArray<Op.Op>> => {
  const out: Array<Array<Op.Op>> = []
  let current: Array<Op.Op> = []
  let bytes = 0
  for (const op of ops) {
    const size = Op.wireSize(op)
    if (current.length > 0 && (current.length >= limits.maxOps || bytes + size > limits.maxBytes)) {
      out.push(current)
      current = []
      bytes = 0
    }
    current.push(op)
    bytes += size
  }
  if (current.length > 0) out.push(current)
  return out
}
