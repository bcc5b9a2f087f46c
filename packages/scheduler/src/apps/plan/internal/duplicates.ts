/**
 * Finding repeated keys in a list, for validation rules that refuse a second port, name or path.
 *
 * @internal
 */

/** Later entries whose key an earlier one already has. */
export const duplicateOf = <A>(items: ReadonlyArray<A>, key: (a: A) => string | undefined) => {
  const seen = new Map<string, number>()
  const found: Array<{ readonly index: number; readonly first: number; readonly key: string }> = []
  for (const [index, item] of items.entries()) {
    const k = key(item)
    if (k === undefined) continue
    const first = seen.get(k)
    if (first === undefined) seen.set(k, index)
    else found.push({ index, first, key: k })
  }
  return found
}
