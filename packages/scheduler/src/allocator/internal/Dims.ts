/**
 * Scalar resource names interned as vector dimensions, so the allocator's hot path adds and compares plain
 * number arrays instead of resource bags. Only non-revocable scalars are counted (revocable resources can be
 * taken back, so they neither make a share nor use a quota).
 */
import type { Resources } from "../Resources.js"

/** Amounts per dimension (a missing entry is zero). */
export type Vec = Array<number>

/** Rounds to Mesos' fixed point (three decimals). */
export const fixed = (x: number): number => Math.round(x * 1000) / 1000

/** Name <-> dimension index, plus whether each dimension counts for fairness. */
export class Dims {
  private readonly index = new Map<string, number>()
  readonly names: Array<string> = []
  readonly fair: Array<boolean> = []

  constructor(private readonly excluded: ReadonlySet<string>) {}

  of(name: string): number {
    let i = this.index.get(name)
    if (i === undefined) {
      i = this.names.length
      this.index.set(name, i)
      this.names.push(name)
      this.fair.push(!this.excluded.has(name))
    }
    return i
  }

  has(name: string): boolean {
    return this.index.has(name)
  }

  /** The non-revocable scalars of `resources` as a vector; `unreservedOnly` keeps only unreserved ones. */
  vec(resources: Resources, unreservedOnly = false): Vec {
    const out: Vec = []
    for (const r of resources.entries) {
      if (r.value._tag !== "Scalar" || r.revocable || (unreservedOnly && r.reservation !== undefined)) continue
      const i = this.of(r.name)
      out[i] = fixed((out[i] ?? 0) + r.value.value)
    }
    return out
  }
}

/** `into += sign * delta`, in place. */
export const addInto = (into: Vec, delta: Vec, sign: 1 | -1 = 1): void => {
  for (let i = 0; i < delta.length; i++) {
    const d = delta[i]
    if (d !== undefined && d !== 0) into[i] = fixed((into[i] ?? 0) + sign * d)
  }
}
