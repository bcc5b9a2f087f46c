/**
 * What a balancing strategy sees of a backend, and the shape of a strategy: a function that picks one of the
 * eligible backends (or none) and may update the backends' and its cursor's bookkeeping.
 *
 * @since 0.1.0
 */

/**
 * The balancing state of one backend.
 *
 * @since 0.1.0
 * @category models
 */
export interface Weighted {
  /** Effective weight (> 0 for an eligible backend). */
  readonly weight: number
  /** Smooth weighted round robin's running score. */
  current: number
  /** Open connections (TCP) or requests in flight (HTTP). */
  readonly active: number
}

/**
 * Where least-connections continues its scan, so that ties rotate.
 *
 * @since 0.1.0
 * @category models
 */
export interface Cursor {
  next: number
}

/**
 * A strategy: picks among `backends` those for which `eligible` holds.
 *
 * @since 0.1.0
 * @category models
 */
export type Picker = <B extends Weighted>(
  backends: ReadonlyArray<B>,
  eligible: (backend: B) => boolean,
  cursor: Cursor
) => B | undefined
