// Equality of the small parts nodes are made of (id lists, records of them), for code that keeps the previous
// object when the new one is equal: the aggregator sharing a replaced node's unchanged parts, and the diff of
// rendered views.

/** Whether two string lists are equal, in order. */
export const sameStrings = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean => {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Whether two records have the same keys, with values equal by `same` (key order aside). */
export const sameRecord = <A>(
  a: Readonly<Record<string, A>>,
  b: Readonly<Record<string, A>>,
  same: (x: A, y: A) => boolean
): boolean => {
  if (a === b) return true
  let n = 0
  for (const key in a) {
    const y = b[key]
    if (y === undefined || !same(a[key]!, y)) return false
    n++
  }
  for (const _ in b) n--
  return n === 0
}
