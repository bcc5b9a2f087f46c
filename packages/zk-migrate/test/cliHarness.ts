/**
 * Runs the `zk-migrate` CLI from source in a child process (so tests can `kill -9` it) and waits on its output.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { resolve } from "node:path"
import { Effect } from "effect"

const cli = resolve(import.meta.dirname, "../src/cli.ts")
// tsx resolves from the workspace root
const repoRoot = resolve(import.meta.dirname, "../../..")

/** How a CLI run ended. */
export interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** A running CLI process. */
export interface Running {
  readonly child: ChildProcess
  readonly done: Promise<Run>
  readonly stdout: () => string
  readonly stderr: () => string
}

/** Starts the CLI with `args` (and extra environment variables). */
export const start = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Running => {
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=source", cli, ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env }
  })
  let stdout = ""
  let stderr = ""
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const done = new Promise<Run>((resolvePromise) => {
    child.on("exit", (code) => resolvePromise({ code, stdout, stderr }))
  })
  return { child, done, stdout: () => stdout, stderr: () => stderr }
}

/** Runs the CLI to its end. */
export const run = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.promise(() => start(args, env).done)

/** Polls `condition` every 20 ms until it holds or `timeoutMs` passes; returns whether it held. */
export const waitFor = (condition: () => boolean | Promise<boolean>, timeoutMs = 30_000) =>
  Effect.promise(async () => {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      if (await condition()) return true
      await new Promise((r) => setTimeout(r, 20))
    }
    return false
  })

/** Kills the process with SIGKILL (no cleanup runs, like a crash) and waits for it to be gone. */
export const crash = (running: Running) =>
  Effect.promise(() => {
    running.child.kill("SIGKILL")
    return running.done
  })

/**
 * Starts the CLI with `ZK_MIGRATE_FAILPOINT=<failpoint>` and waits until it hangs there (it waits to be killed);
 * fails if it never gets there.
 */
export const hangAt = (args: ReadonlyArray<string>, failpoint: string) =>
  Effect.suspend(() => {
    const running = start(args, { ZK_MIGRATE_FAILPOINT: failpoint })
    return waitFor(() => running.stderr().includes(`failpoint ${failpoint}`)).pipe(
      Effect.flatMap((reached) =>
        reached
          ? Effect.succeed(running)
          : Effect.die(new Error(`the CLI never reached failpoint ${failpoint}: ${running.stderr()}`))
      )
    )
  })
