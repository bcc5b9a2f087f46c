/**
 * Gives the probe's memory back between reports. A collection allocates a few MB that outlive V8's young
 * generation, so without a full collection the old generation grows report after report (and V8's own memory
 * reducer runs seconds later, if at all) until the peak RSS is well above what the probe keeps. After a
 * report is published, when the process grew by more than `slackBytes` since the last compaction, this runs
 * one compacting full collection (`gc` with the "last-resort" flavour: it marks, compacts and unmaps free
 * pages), so every collection starts from a compact heap. The first report always compacts: it drops the
 * start-up garbage.
 *
 * It needs `--expose-gc` (the CLI's shebang passes it); without it, it does nothing.
 */
import { Probe } from "@orchestrator/probe"
import { Effect, Layer, Stream } from "effect"

type Gc = (options: { readonly type: "major"; readonly execution: "sync"; readonly flavor: "last-resort" }) => void

/** Compacts the heap after a published report when the RSS grew by more than `slackBytes` since the last time. */
export const compactHeapAfterReports = (slackBytes: number): Layer.Layer<never, never, Probe.Probe> =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const gc = (globalThis as { readonly gc?: Gc }).gc
      if (gc === undefined) return
      const probe = yield* Probe.Probe
      let compactedRss = Number.NEGATIVE_INFINITY
      yield* probe.events.pipe(
        Stream.filter((event) => event._tag === "Published"),
        Stream.runForEach(() =>
          Effect.sync(() => {
            if (process.memoryUsage.rss() - compactedRss <= slackBytes) return
            gc({ type: "major", execution: "sync", flavor: "last-resort" })
            compactedRss = process.memoryUsage.rss()
          })
        ),
        Effect.forkScoped
      )
    })
  )
