/**
 * The layout's refinement: a bounded number of iterations of a simple force model over the placement, run in
 * a Web Worker ({@link LayoutWorker}) so the page stays responsive. Pinned nodes (everything already laid out)
 * never move but still push and pull, so an update only moves what it added. Per iteration: overlapping nodes
 * are pushed apart (a uniform grid finds near pairs, O(n)), edges pull their ends together, a node that strays
 * from its cluster is pulled back, and overlapping clusters are pushed apart whole (so hosts stay visibly
 * separate). Deterministic and allocation-free per iteration; pure, so it is tested directly.
 */

/** A layout problem in flat arrays (transferable to a worker). */
export interface LayoutProblem {
  readonly xs: Float64Array
  readonly ys: Float64Array
  /** Collision radius of each node, in layout units. */
  readonly radius: Float64Array
  /** 1 for nodes that must not move. */
  readonly pinned: Uint8Array
  /** Cluster index of each node, or -1. */
  readonly cluster: Int32Array
  /** Edge ends as pairs of node indexes. */
  readonly edges: Uint32Array
  /**
   * Fixed cluster centres and radii (index = cluster), when the problem holds only part of each cluster (an
   * update); without them centres follow the cluster's nodes.
   */
  readonly centres?: { readonly xs: Float64Array; readonly ys: Float64Array; readonly radius: Float64Array }
}

/** How long to refine. */
export interface RefineOptions {
  /** At most this many iterations. */
  readonly iterations: number
  /** Stop after this many milliseconds (checked every few iterations). */
  readonly budgetMs?: number
  /** The distance between neighbouring ordinary nodes. */
  readonly spacing: number
}

/** What a refinement did. */
export interface RefineResult {
  readonly iterations: number
  /** The largest move of the last iteration, in layout units. */
  readonly lastMove: number
}

/** Gap kept between two nodes' collision circles, as a factor of their radii. */
const gap = 1.15

/** Clusters are kept apart pairwise (O(clusters²) per iteration) up to this many. */
const maxSeparatedClusters = 400

const now = () => (typeof performance === "undefined" ? Date.now() : performance.now())

/** Refines `problem.xs` / `problem.ys` in place. */
export const refine = (problem: LayoutProblem, options: RefineOptions): RefineResult => {
  const { xs, ys, radius, pinned, cluster, edges } = problem
  const n = xs.length
  const s = options.spacing
  if (n === 0) return { iterations: 0, lastMove: 0 }
  let free = 0
  let maxRadius = 0
  let clusters = 0
  for (let i = 0; i < n; i++) {
    if (pinned[i] === 0) free++
    maxRadius = Math.max(maxRadius, radius[i]!)
    clusters = Math.max(clusters, cluster[i]! + 1)
  }
  if (free === 0) return { iterations: 0, lastMove: 0 }

  const dx = new Float64Array(n)
  const dy = new Float64Array(n)
  const cell = Math.max(2 * maxRadius * gap, s)
  let tableSize = 1024
  while (tableSize < 2 * n) tableSize *= 2
  const mask = tableSize - 1
  const heads = new Int32Array(tableSize)
  const next = new Int32Array(n)
  const cellX = new Int32Array(n)
  const cellY = new Int32Array(n)
  const cx = new Float64Array(clusters)
  const cy = new Float64Array(clusters)
  const cr = new Float64Array(clusters)
  const count = new Float64Array(clusters)
  const tx = new Float64Array(clusters)
  const ty = new Float64Array(clusters)
  const separate = problem.centres === undefined && clusters > 1 && clusters <= maxSeparatedClusters
  const bucket = (x: number, y: number) => (Math.imul(x, 73856093) ^ Math.imul(y, 19349663)) & mask

  const started = now()
  let iteration = 0
  let lastMove = 0
  for (; iteration < options.iterations; iteration++) {
    if (options.budgetMs !== undefined && iteration % 4 === 0 && iteration > 0 && now() - started > options.budgetMs) {
      break
    }
    const temperature = 1 - (0.9 * iteration) / options.iterations
    dx.fill(0)
    dy.fill(0)

    // Cluster centres: fixed, or the mean of the cluster's nodes.
    if (problem.centres !== undefined) {
      cx.set(problem.centres.xs)
      cy.set(problem.centres.ys)
      cr.set(problem.centres.radius)
    } else if (clusters > 0) {
      cx.fill(0)
      cy.fill(0)
      count.fill(0)
      for (let i = 0; i < n; i++) {
        const c = cluster[i]!
        if (c < 0) continue
        cx[c]! += xs[i]!
        cy[c]! += ys[i]!
        count[c]!++
      }
      for (let c = 0; c < clusters; c++) {
        if (count[c] === 0) continue
        cx[c] = cx[c]! / count[c]!
        cy[c] = cy[c]! / count[c]!
        cr[c] = s * Math.sqrt(count[c]! + 0.5) + s
      }
    }

    // Collisions, through a hashed uniform grid: each pair is seen once (j > i, j's one cell).
    heads.fill(-1)
    for (let i = 0; i < n; i++) {
      const gx = Math.floor(xs[i]! / cell)
      const gy = Math.floor(ys[i]! / cell)
      cellX[i] = gx
      cellY[i] = gy
      const b = bucket(gx, gy)
      next[i] = heads[b]!
      heads[b] = i
    }
    for (let i = 0; i < n; i++) {
      const gx = cellX[i]!
      const gy = cellY[i]!
      const xi = xs[i]!
      const yi = ys[i]!
      const ri = radius[i]!
      for (let ox = -1; ox <= 1; ox++) {
        for (let oy = -1; oy <= 1; oy++) {
          for (let j = heads[bucket(gx + ox, gy + oy)]!; j !== -1; j = next[j]!) {
            if (j <= i || cellX[j] !== gx + ox || cellY[j] !== gy + oy) continue
            if (pinned[i] === 1 && pinned[j] === 1) continue
            let ex = xs[j]! - xi
            let ey = ys[j]! - yi
            const min = (ri + radius[j]!) * gap
            const d2 = ex * ex + ey * ey
            if (d2 >= min * min) continue
            let d = Math.sqrt(d2)
            if (d < 1e-6) {
              // Same spot: separate along a direction that depends on the pair only.
              const a = ((i * 7919 + j * 104729) % 360) * (Math.PI / 180)
              ex = Math.cos(a)
              ey = Math.sin(a)
              d = 1
            }
            const push = (min - d) / d
            const wi = pinned[i] === 1 ? 0 : pinned[j] === 1 ? 1 : 0.5
            const wj = pinned[j] === 1 ? 0 : pinned[i] === 1 ? 1 : 0.5
            dx[i]! -= ex * push * wi
            dy[i]! -= ey * push * wi
            dx[j]! += ex * push * wj
            dy[j]! += ey * push * wj
          }
        }
      }
    }

    // Edges: pull ends together down to a comfortable length.
    for (let e = 0; e + 1 < edges.length; e += 2) {
      const a = edges[e]!
      const b = edges[e + 1]!
      if (a === b || (pinned[a] === 1 && pinned[b] === 1)) continue
      const ex = xs[b]! - xs[a]!
      const ey = ys[b]! - ys[a]!
      const d = Math.sqrt(ex * ex + ey * ey)
      const rest = (radius[a]! + radius[b]!) * gap + 1.5 * s
      if (d <= rest) continue
      // Edges across clusters pull gently: clusters stay whole, and only drift towards their peers.
      const strength = cluster[a] === cluster[b] ? 0.05 : 0.003
      const pull = (strength * (d - rest)) / d
      const wa = pinned[a] === 1 ? 0 : pinned[b] === 1 ? 1 : 0.5
      const wb = pinned[b] === 1 ? 0 : pinned[a] === 1 ? 1 : 0.5
      dx[a]! += ex * pull * wa
      dy[a]! += ey * pull * wa
      dx[b]! -= ex * pull * wb
      dy[b]! -= ey * pull * wb
    }

    // Clusters whose discs overlap are pushed apart, each moved whole (its free nodes).
    if (separate) {
      tx.fill(0)
      ty.fill(0)
      for (let a = 0; a < clusters; a++) {
        if (count[a] === 0) continue
        for (let b = a + 1; b < clusters; b++) {
          if (count[b] === 0) continue
          let ex = cx[b]! - cx[a]!
          let ey = cy[b]! - cy[a]!
          const min = cr[a]! + cr[b]! + s
          const d2 = ex * ex + ey * ey
          if (d2 >= min * min) continue
          let d = Math.sqrt(d2)
          if (d < 1e-6) {
            ex = Math.cos(a + b)
            ey = Math.sin(a + b)
            d = 1
          }
          // The lighter cluster moves more.
          const push = ((min - d) / d) * 0.5
          const wa = count[b]! / (count[a]! + count[b]!)
          tx[a]! -= ex * push * wa
          ty[a]! -= ey * push * wa
          tx[b]! += ex * push * (1 - wa)
          ty[b]! += ey * push * (1 - wa)
        }
      }
      for (let i = 0; i < n; i++) {
        const c = cluster[i]!
        if (c < 0 || pinned[i] === 1) continue
        dx[i]! += tx[c]!
        dy[i]! += ty[c]!
      }
    }

    // Clusters: a node outside its cluster's disc is pulled back.
    for (let i = 0; i < n; i++) {
      const c = cluster[i]!
      if (c < 0 || pinned[i] === 1) continue
      const ex = cx[c]! - xs[i]!
      const ey = cy[c]! - ys[i]!
      const d = Math.sqrt(ex * ex + ey * ey)
      if (d <= cr[c]! || d === 0) continue
      const pull = (0.2 * (d - cr[c]!)) / d
      dx[i]! += ex * pull
      dy[i]! += ey * pull
    }

    // Move, each node by at most a step that shrinks as the layout cools.
    const maxStep = 2 * s * temperature
    lastMove = 0
    for (let i = 0; i < n; i++) {
      if (pinned[i] === 1) continue
      let mx = dx[i]!
      let my = dy[i]!
      const m = Math.sqrt(mx * mx + my * my)
      if (m > maxStep) {
        mx = (mx / m) * maxStep
        my = (my / m) * maxStep
      }
      xs[i] = xs[i]! + mx
      ys[i] = ys[i]! + my
      lastMove = Math.max(lastMove, Math.min(m, maxStep))
    }
    if (lastMove < s * 0.005) {
      iteration++
      break
    }
  }
  return { iterations: iteration, lastMove }
}
