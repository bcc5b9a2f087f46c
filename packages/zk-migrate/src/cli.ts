#!/usr/bin/env node
/**
 * `zk-migrate`: the command-line tool over the library (plan, copy, sync, verify, cutover, rollback,
 * finalize, status), with progress bars on long work and one clear line per error.
 *
 * @since 0.1.0
 */
import { Cause, Effect, Exit, Fiber, type Scope, Stream } from "effect"
import cliProgress from "cli-progress"
import type { Conflict } from "./Conflict.js"
import type { CopyProgress } from "./Copier.js"
import { Endpoints } from "./Endpoints.js"
import { type CliSettings, parse, UsageError, usage } from "./internal/cliArgs.js"
import { tuneHeap } from "./internal/heap.js"
import { type MigrationError, MigrationStateError } from "./Errors.js"
import * as Metrics from "./MetricsServer.js"
import * as Migration from "./Migration.js"
import type { MigrationState } from "./MigrationState.js"
import * as Resume from "./Resume.js"
import type { SyncHandle } from "./SyncEngine.js"

const print = (settings: CliSettings, human: string, value: unknown): void => {
  process.stdout.write(settings.json ? `${Metrics.toJson(value)}\n` : `${human}\n`)
}

/** The sync this process runs, for `/status`. */
let running: SyncHandle | undefined

const serveMetrics = (settings: CliSettings) =>
  settings.metricsPort === undefined
    ? Effect.void
    : Metrics.serve({
        port: settings.metricsPort,
        host: settings.metricsHost,
        status: Effect.gen(function* () {
          const state = yield* Migration.status(settings.stateFile).pipe(Effect.option)
          const sync = running === undefined ? undefined : yield* running.stats
          return {
            state: state._tag === "Some" ? state.value : null,
            resume: state._tag === "Some" ? Resume.describe(Resume.next(state.value)) : null,
            sync: sync ?? null
          }
        })
      }).pipe(Effect.tap((address) => Effect.sync(() => process.stderr.write(`metrics on ${address.url}/metrics\n`))))

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
  after?: (h: SyncHandle) => Effect.Effect<unknown, unknown, Endpoints>,
  started: Effect.Effect<SyncHandle, MigrationError, Endpoints | Scope.Scope> = Migration.sync(options)
) =>
  Effect.gen(function* () {
    const handle = yield* started
    running = handle
    const printConflict = (conflict: Conflict) =>
      process.stderr.write(`conflict ${conflict.path || "/"}: ${conflict.decision} wins (${conflict.policy})\n`)
    // conflicts of the catch-up happened before anyone listened: print them once, then follow the events
    const early = new Set(yield* handle.conflicts)
    for (const conflict of early) printConflict(conflict)
    yield* handle.events.pipe(
      Stream.runForEach((event) =>
        event._tag === "Conflict"
          ? Effect.sync(() => {
              if (!early.has(event.conflict)) printConflict(event.conflict)
            })
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

const statusText = (state: MigrationState): string =>
  `phase ${state.phase} (sync ${state.direction}), ${state.source.connectString}${state.source.path} -> ${state.target.connectString}${state.target.path}${state.pending === undefined ? "" : `\ninterrupted: ${state.pending.operation} (started ${state.pending.at})`}\n${state.history.map((h) => `  ${h.at} ${h.phase}`).join("\n")}\nresume: ${Resume.describe(Resume.next(state))}`

/** `resume`: the endpoints and mode come from the state file unless given on the command line. */
const resumeProgram = (settings: CliSettings) =>
  Effect.gen(function* () {
    const state = yield* Migration.status(settings.stateFile)
    const action = Resume.next(state)
    if (action._tag === "Nothing") {
      print(settings, Resume.describe(action), { action })
      return
    }
    const options: Migration.MigrationOptions = {
      stateFile: settings.stateFile,
      mode: state.mode,
      conflict: settings.conflict,
      policy: settings.policy
    }
    const endpoints = Endpoints.layer({
      source: {
        connectString: settings.given.source ? settings.source : state.source.connectString,
        path: state.source.path,
        auth: settings.sourceAuth
      },
      target: {
        connectString: settings.given.target ? settings.target : state.target.connectString,
        path: settings.given.targetPath ? settings.targetPath : state.target.path,
        auth: settings.targetAuth
      }
    })
    const work = Effect.gen(function* () {
      yield* serveMetrics(settings)
      process.stderr.write(`resume: ${Resume.describe(action)}\n`)
      if (action._tag === "Copy" || (action._tag === "Rollback" && action.direction === "forward")) {
        const result = yield* Migration.resume(options)
        const copied =
          result.copy === undefined
            ? ""
            : `: created ${result.copy.created}, updated ${result.copy.updated}, unchanged ${result.copy.unchanged}`
        print(settings, `resumed ${action._tag.toLowerCase()}${copied}`, { action, copy: result.copy ?? null })
        return
      }
      let result: Migration.ResumeResult | undefined
      yield* runSync(
        settings,
        options,
        () =>
          Effect.sync(() => {
            if (result?.cutover !== undefined)
              process.stderr.write(`cutover done in ${result.cutover.durationMs} ms; sync now flows target -> source\n`)
          }),
        Migration.resume(options).pipe(
          Effect.flatMap((r) => {
            result = r
            return r.handle === undefined
              ? Effect.fail(new MigrationStateError({ reason: `resume ${action._tag} left no sync running` }))
              : Effect.succeed(r.handle)
          })
        )
      )
    })
    return yield* work.pipe(Effect.scoped, Effect.provide(endpoints))
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
        Effect.sync(() => print(settings, statusText(state), { ...state, resume: Resume.describe(Resume.next(state)) }))
      )
    )
  }
  if (settings.command === "resume") return resumeProgram(settings)
  const endpoints = Endpoints.layer({
    source: { connectString: settings.source, path: settings.path, auth: settings.sourceAuth },
    target: { connectString: settings.target, path: settings.targetPath, auth: settings.targetAuth }
  })
  const work = Effect.gen(function* () {
    yield* serveMetrics(settings)
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
