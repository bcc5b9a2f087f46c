/**
 * Least connections, weighted: the backend with the lowest `(active + 1) / weight` wins (so an idle backend
 * of weight 3 comes before an idle one of weight 1), and ties rotate round robin from where the last pick left.
 *
 * @since 0.1.0
 */
import type { Cursor, Weighted } from "./Picker.js"

/**
 * Picks the eligible backend with the fewest open connections per unit of weight; `undefined` when none is.
 *
 * @since 0.1.0
 * @category strategies
 */
export const leastConnections = <B extends Weighted>(
  backends: ReadonlyArray<B>,
  eligible: (backend: B) => boolean,
  cursor: Cursor
): B | undefined => {
  const n = backends.length
  let best: B | undefined
  let bestScore = Number.POSITIVE_INFINITY
  let bestIndex = 0
  for (let k = 0; k < n; k++) {
    const i = (cursor.next + k) % n
    const b = backends[i]!
    if (!eligible(b)) continue
    const score = (b.active + 1) / b.weight
    if (score < bestScore) {
      best = b
      bestScore = score
      bestIndex = i
    }
  }
  if (best !== undefined) cursor.next = (bestIndex + 1) % n
  return best
}
