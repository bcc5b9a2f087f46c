/**
 * Smooth weighted round robin, as nginx does it: every pick adds each eligible backend's weight to its score,
 * takes the highest score and subtracts the total weight from it. Weights 1:3 give b, a, b, b, b, a, b, b...
 * (interleaved, not in bursts), and equal weights give plain rotation.
 *
 * @since 0.1.0
 */
import type { Cursor, Weighted } from "./Picker.js"

/**
 * Picks the next backend by smooth weighted round robin; `undefined` when none is eligible.
 *
 * @since 0.1.0
 * @category strategies
 */
export const roundRobin = <B extends Weighted>(
  backends: ReadonlyArray<B>,
  eligible: (backend: B) => boolean,
  _cursor: Cursor
): B | undefined => {
  let total = 0
  let best: B | undefined
  for (let i = 0; i < backends.length; i++) {
    const b = backends[i]!
    if (!eligible(b)) continue
    b.current += b.weight
    total += b.weight
    if (best === undefined || b.current > best.current) best = b
  }
  if (best !== undefined) best.current -= total
  return best
}
