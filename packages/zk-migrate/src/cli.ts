#!/usr/bin/env node
/**
 * `zk-migrate`: the command-line tool over the library (plan, copy, sync, verify, cutover, rollback,
 * finalize, status), with progress bars on long work and one clear line per error.
 *
 * @since 0.1.0
 */
import { Cause, Effect, Exit, Fiber, Stream } from "effect"
import cliProgress from "cli-progress"
import type { CopyProgress } from "./Copier.js"
import { Endpoints } from "./Endpoints.js"
import { type CliSettings, parse, UsageError, usage } from "./internal/cliArgs.js"
import { tuneHeap } from "./internal/heap.js"
import * as Migration from "./Migration.js"
import type { SyncHandle } from "./SyncEngine.js"

const print = (settings: CliSettings, human: string, value: unknown): void => {
  process.stdout.write(
    settings.json
      ? `${JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString("base64") : v))}\n`
      : `${human}\n`
  )
}

const progressBar = () => {
  if (process.stderr.isTTY !== true) {
    let lastStep = ""
    return {
      update: (p: CopyProgress) => {
        if (p.step !== lastStep || p.done === p.total) process.stderr.write(`${p.step}: ${p.done}/${p.total}\n`)
        lastStep = p.step
      },
      stop: () => {}
    }
  }
  const bar = new cliProgress.SingleBar(
    { format: "{step} [{bar}] {value}/{total} {percentage}% | {eta_formatted} left", stream: process.stderr },
    cliProgress.Presets.shades_classic
  )
  let step = ""
  return {
    update: (p: CopyProgress) => {
      if (p.step !== step) {
        if (step !== "") bar.stop()
        step = p.step
        bar.start(p.total, p.done, { step })
      } else bar.update(p.done, { step })
    },
    stop: () => bar.stop()
  }
}

const watchSync = (handle: SyncHandle) =>
  Effect.forever(
    Effect.sleep("1 second").pipe(
      Effect.andThen(handle.stats),
      Effect.tap((s) =>
        Effect.sync(() =>
          process.stderr.write(
            `sync ${s.direction}: queue ${s.queueDepth}, applied ${s.applied}, conflicts ${s.conflicts}, errors ${s.errors}, lag p50 ${s.lagP50Ms} ms p99 ${s.lagP99Ms} ms\n`
          )
        )
      )
    )
  )

const runSync = (
  settings: CliSettings,
  options: Migration.MigrationOptions,
  after?: (h: SyncHandle) => Effect.Effect<unknown, unknown, Endpoints>
) =>
  Effect.gen(function* () {
    const handle = yield* Migration.sync(options)
    yield* handle.events.pipe(
      Stream.runForEach((event) =>
        event._tag === "Conflict"
          ? Effect.sync(() =>
              process.stderr.write(
                `conflict ${event.conflict.path || "/"}: ${event.conflict.decision} wins (${event.conflict.policy})\n`
              )
            )
          : event._tag === "Error"
            ? Effect.sync(() =>
                process.stderr.write(`sync error at ${event.path || "/"}: ${event.message} (retrying)\n`)
              )
            : Effect.void
      ),
      Effect.forkScoped
    )
    if (after !== undefined) yield* after(handle)
    const stats = yield* handle.stats
    print(settings, `caught up: applied ${stats.applied}, lag p99 ${stats.lagP99Ms} ms`, stats)
    if (!settings.exitWhenSynced) {
      process.stderr.write("syncing until Ctrl-C\n")
      yield* watchSync(handle)
    }
  })

const program = (settings: CliSettings) => {
  const options: Migration.MigrationOptions = {
    stateFile: settings.stateFile,
    mode: settings.mode,
    conflict: settings.conflict,
    policy: settings.policy
  }
  if (settings.command === "status") {
    return Migration.status(settings.stateFile).pipe(
      Effect.tap((state) =>
        Effect.sync(() =>
          print(
            settings,
            `phase ${state.phase} (sync ${state.direction}), ${state.source.connectString}${state.source.path} -> ${state.target.connectString}${state.target.path}\n${state.history.map((h) => `  ${h.at} ${h.phase}`).join("\n")}`,
            state
          )
        )
      )
    )
  }
  const endpoints = Endpoints.layer({
    source: { connectString: settings.source, path: settings.path, auth: settings.sourceAuth },
    target: { connectString: settings.target, path: settings.targetPath, auth: settings.targetAuth }
  })
  const work = Effect.gen(function* () {
    switch (settings.command) {
      case "plan": {
        const plan = yield* Migration.plan(options)
        print(
          settings,
          [
            `source: ${plan.nodes} nodes, ${plan.bytes} bytes (persistent ${plan.kinds.persistent}, ephemeral ${plan.kinds.ephemeral}, container ${plan.kinds.container}, ttl ${plan.kinds.ttl})`,
            `largest node: ${plan.largest?.path || "/"} (${plan.largest?.bytes ?? 0} bytes); sequential parents: ${plan.sequentialParents}`,
            `target: ${plan.targetNodes} nodes, ${plan.targetDifferences} differing`,
            ...plan.problems.map((p) => `problem: ${p}`)
          ].join("\n"),
          plan
        )
        return
      }
      case "copy": {
        const bar = progressBar()
        const report = yield* Migration.copy(options, {
          overwrite: settings.overwrite,
          deleteExtra: settings.deleteExtra,
          dryRun: settings.dryRun,
          maxPaddingSteps: settings.maxPaddingSteps,
          onProgress: bar.update
        }).pipe(Effect.ensuring(Effect.sync(bar.stop)))
        print(
          settings,
          [
            `${report.dryRun ? "would create" : "created"} ${report.created}, ${report.dryRun ? "would update" : "updated"} ${report.updated}, deleted ${report.deleted}, unchanged ${report.unchanged} in ${report.durationMs} ms (${Math.round(report.rate)} nodes/s)`,
            `skipped ephemeral: ${report.skippedEphemeral.length}; counters padded: ${report.padded.length}; above the padding cap: ${report.paddingOverCap.map((p) => `${p.path || "/"} (${p.steps})`).join(", ") || "none"}`,
            ...report.unsupported.map(
              (u) => `${u.kind} node ${u.path}: ${u.copied ? "copied as persistent" : "skipped"}`
            ),
            ...report.remaining.map((d) => `left on the target: ${d.kind} ${d.path || "/"}: ${d.detail}`)
          ].join("\n"),
          report
        )
        return
      }
      case "verify": {
        const report = yield* Migration.verify(options)
        print(
          settings,
          report.equal
            ? `equal: ${report.sourceNodes} nodes, digest ${report.sourceDigest.slice(0, 16)} (${Math.round(report.rate)} nodes/s)`
            : `DIFFERENT: ${report.differences.length} differences\n${report.differences.map((d) => `  ${d.kind} ${d.path || "/"}: ${d.detail}`).join("\n")}`,
          report
        )
        if (!report.equal) process.exitCode = 3
        return
      }
      case "sync":
        return yield* runSync(settings, options)
      case "cutover":
        return yield* runSync(settings, options, (handle) =>
          Migration.cutover(options, handle).pipe(
            Effect.tap((result) =>
              Effect.sync(() =>
                process.stderr.write(
                  `cutover done in ${result.durationMs} ms: switch the applications to ${settings.target}; sync now flows target -> source\n`
                )
              )
            )
          )
        )
      case "rollback":
        return yield* Effect.gen(function* () {
          const state = yield* Migration.status(settings.stateFile)
          if (state.direction === "reverse") {
            return yield* runSync(settings, options, (handle) => Migration.rollback(options, handle))
          }
          yield* Migration.rollback(options)
          print(settings, "rolled back: the source is authoritative; nothing was deleted", { rolledBack: true })
        })
      case "finalize": {
        yield* Migration.finalize(options)
        print(settings, "finalized: stop any running sync", { finalized: true })
        return
      }
    }
  })
  return work.pipe(Effect.scoped, Effect.provide(endpoints))
}

const main = (): void => {
  tuneHeap()
  let settings: CliSettings
  try {
    settings = parse(process.argv.slice(2))
  } catch (error) {
    if (error instanceof UsageError) {
      if (error.message !== "") process.stderr.write(`error: ${error.message}\n`)
      process.stderr.write(`${usage}\n`)
      process.exitCode = 2
      return
    }
    throw error
  }
  const fiber = Effect.runFork(
    program(settings).pipe(Effect.asVoid) as Effect.Effect<void, { readonly message: string }>
  )
  const stop = () => {
    Effect.runFork(Fiber.interrupt(fiber))
  }
  process.once("SIGINT", stop)
  process.once("SIGTERM", stop)
  fiber.addObserver((exit) => {
    process.off("SIGINT", stop)
    process.off("SIGTERM", stop)
    if (Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause)) {
      const error = Cause.squash(exit.cause)
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`)
      process.exitCode = 1
    }
  })
}

main()
