/**
 * Detects an agent's resources when none are declared: CPUs and memory of the machine (with 1 GB, or half
 * of a small machine, left to the system), the disk of the work directory, and ports 31000-32000.
 *
 * @since 0.1.0
 */
import { availableParallelism, totalmem } from "node:os"
import { Effect } from "effect"
import type { Resources } from "../Resources.js"

/**
 * The machine's resources as an agent offers them by default.
 *
 * @since 0.1.0
 * @category constructors
 */
export const detectResources = (workDir = "/"): Effect.Effect<Resources> =>
  Effect.gen(function* () {
    const si = yield* Effect.tryPromise(() => import("systeminformation")).pipe(Effect.option)
    const memBytes =
      si._tag === "Some"
        ? yield* Effect.tryPromise(() => si.value.mem()).pipe(
            Effect.map((m) => m.total),
            Effect.orElseSucceed(() => totalmem())
          )
        : totalmem()
    const memMb = Math.floor(memBytes / 1024 / 1024)
    const cpus =
      si._tag === "Some"
        ? yield* Effect.tryPromise(() => si.value.cpu()).pipe(
            Effect.map((c) => c.cores),
            Effect.orElseSucceed(() => availableParallelism())
          )
        : availableParallelism()
    const diskMb =
      si._tag === "Some"
        ? yield* Effect.tryPromise(() => si.value.fsSize()).pipe(
            Effect.map((disks) => {
              const fit = disks
                .filter((d) => workDir.startsWith(d.mount))
                .sort((a, b) => b.mount.length - a.mount.length)[0]
              return fit === undefined ? 0 : Math.floor(fit.available / 1024 / 1024)
            }),
            Effect.orElseSucceed(() => 0)
          )
        : 0
    return {
      cpus,
      mem: Math.max(256, memMb - Math.min(1024, Math.floor(memMb / 2))),
      ...(diskMb > 0 ? { disk: diskMb } : {}),
      ports: [{ begin: 31_000, end: 32_000 }]
    }
  })
