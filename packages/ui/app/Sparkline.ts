/**
 * Sparkline geometry: a series of samples with gaps (`null`) to SVG polyline point lists. Pure, so it is
 * tested directly; `DetailsPanel` turns the result into `<polyline>` and `<circle>` elements.
 */

/** Lines to draw: one point list per run of recorded samples, and lone samples as dots. */
export interface SparklineShape {
  /** `points` attributes, one per run of two or more consecutive samples. */
  readonly lines: ReadonlyArray<string>
  /** Samples with a gap on both sides, which a line cannot show. */
  readonly dots: ReadonlyArray<readonly [x: number, y: number]>
  /** The smallest and largest sample, or `undefined` when nothing was recorded. */
  readonly range: readonly [min: number, max: number] | undefined
}

const round = (n: number): number => Math.round(n * 10) / 10

/**
 * Lays out `values` across `width`×`height` (y grows downwards, with `pad` pixels kept free at top and bottom).
 * A flat series is drawn at mid-height; `null` splits the line.
 */
export const sparkline = (
  values: ReadonlyArray<number | null>,
  width: number,
  height: number,
  pad = 2
): SparklineShape => {
  let min = Number.POSITIVE_INFINITY
  let max = Number.NEGATIVE_INFINITY
  for (const v of values) {
    if (v === null) continue
    if (v < min) min = v
    if (v > max) max = v
  }
  if (min > max) return { lines: [], dots: [], range: undefined }
  const step = values.length > 1 ? width / (values.length - 1) : 0
  const span = max - min
  const y = (v: number) => (span === 0 ? height / 2 : pad + (1 - (v - min) / span) * (height - 2 * pad))
  const lines: Array<string> = []
  const dots: Array<readonly [number, number]> = []
  let run: Array<readonly [number, number]> = []
  const close = () => {
    if (run.length === 1) dots.push(run[0]!)
    else if (run.length > 1) lines.push(run.map(([px, py]) => `${px},${py}`).join(" "))
    run = []
  }
  values.forEach((v, i) => {
    if (v === null) close()
    else run.push([round(values.length > 1 ? i * step : width / 2), round(y(v))])
  })
  close()
  return { lines, dots, range: [min, max] }
}

/**
 * The slots worth drawing: from the first recorded sample to the end, but at least `minSlots`. The store
 * answers a fixed window (an hour of 15 s slots); a node seen for a minute would otherwise be a sliver at the
 * right edge, and a single stretched run would exaggerate a short history.
 */
export const recentWindow = (values: ReadonlyArray<number | null>, minSlots = 20): ReadonlyArray<number | null> => {
  const first = values.findIndex((v) => v !== null)
  const start = Math.max(0, values.length - minSlots)
  return values.slice(first < 0 ? start : Math.min(first, start))
}
