/**
 * Command-line parsing for `zk-migrate`: flags to typed settings, with an error that names the bad flag.
 *
 * @internal
 */
import { readFileSync } from "node:fs"
import { type ParseArgsOptionsConfig, parseArgs } from "node:util"
import type { Acl } from "@orchestrator/core/zookeeper"
import { Schema } from "effect"
import type { ConflictPolicy } from "../Conflict.js"
import * as Policy from "../Policy.js"

/** A usage error: what was wrong with the command line. */
export class UsageError extends Error {}

export const commands = [
  "plan",
  "copy",
  "sync",
  "verify",
  "cutover",
  "rollback",
  "finalize",
  "status",
  "resume"
] as const
export type Command = (typeof commands)[number]

export interface CliSettings {
  readonly command: Command
  readonly source: string
  readonly target: string
  readonly path: string
  readonly targetPath: string
  readonly mode: "one-way" | "bidirectional"
  readonly conflict: ConflictPolicy
  readonly policy: Policy.Policy
  readonly dryRun: boolean
  readonly overwrite: boolean
  readonly deleteExtra: boolean
  readonly sourceAuth: ReadonlyArray<Acl.AuthInfo>
  readonly targetAuth: ReadonlyArray<Acl.AuthInfo>
  readonly stateFile: string
  readonly exitWhenSynced: boolean
  readonly json: boolean
  readonly maxPaddingSteps: number
  /** Serve `/metrics` and `/status` on this port (off when undefined). */
  readonly metricsPort: number | undefined
  readonly metricsHost: string
  /** Which endpoint flags were given (resume takes the others from the state file). */
  readonly given: { readonly source: boolean; readonly target: boolean; readonly targetPath: boolean }
}

export const usage = `usage: zk-migrate <${commands.join("|")}> --source host:port[,...] --target host:port[,...] [options]

  --path /subtree          subtree to migrate (default /)
  --target-path /subtree   where it goes on the target (default: --path)
  --mode one-way|bidirectional          sync mode (default one-way)
  --conflict source-wins|target-wins|last-writer-wins   bidirectional conflicts (default source-wins)
  --acl preserve|reset|map:<file.json>  ACLs on the target (default preserve)
  --ephemerals skip|persistent          ephemeral nodes (default skip)
  --auth scheme:credentials             credentials for both sides (e.g. digest:super:secret); repeatable
  --source-auth / --target-auth         credentials for one side
  --dry-run                show what copy would write, write nothing
  --overwrite              replace differing target nodes (copy refuses otherwise)
  --delete-extra           delete target nodes the source lacks (never without this flag)
  --max-padding-steps N    cap of counter padding per parent (default 10000)
  --state <file>           migration state file (default ./zk-migrate-state.json)
  --exit-when-synced       sync/cutover: exit once caught up instead of running until Ctrl-C
  --json                   print results as JSON
  --metrics-port N         serve GET /metrics (Prometheus) and GET /status (JSON) on this port (default off)
  --metrics-host H         address of that server (default 127.0.0.1)

  resume --state <file>    finish what a crashed run left (copy, sync, cutover, rollback); the endpoints,
                           paths and mode come from the state file; status shows what resume would do`

const auth = (values: ReadonlyArray<string>, flag: string): ReadonlyArray<Acl.AuthInfo> =>
  values.map((value) => {
    const colon = value.indexOf(":")
    if (colon <= 0)
      throw new UsageError(`${flag} ${JSON.stringify(value)}: expected scheme:credentials, e.g. digest:user:password`)
    return { scheme: value.slice(0, colon), auth: value.slice(colon + 1) }
  })

const oneOf = <A extends string>(value: string, allowed: ReadonlyArray<A>, flag: string): A => {
  if ((allowed as ReadonlyArray<string>).includes(value)) return value as A
  throw new UsageError(`${flag} ${JSON.stringify(value)}: expected one of ${allowed.join(", ")}`)
}

const aclPolicy = (value: string): Policy.AclPolicy => {
  if (value === "preserve" || value === "reset") return { _tag: value }
  if (value.startsWith("map:")) {
    const file = value.slice(4)
    let json: unknown
    try {
      json = JSON.parse(readFileSync(file, "utf8"))
    } catch (cause) {
      throw new UsageError(
        `--acl ${value}: cannot read ${file}: ${cause instanceof Error ? cause.message : String(cause)}`
      )
    }
    const decoded = Schema.decodeUnknownExit(Policy.AclMapFile)(json)
    if (decoded._tag === "Failure") {
      throw new UsageError(`--acl ${value}: ${file} is not a list of { from: "scheme:id", to: { scheme, id, perms } }`)
    }
    return Policy.aclMap(decoded.value)
  }
  throw new UsageError(`--acl ${JSON.stringify(value)}: expected preserve, reset or map:<file.json>`)
}

const options = {
  source: { type: "string" },
  target: { type: "string" },
  path: { type: "string", default: "/" },
  "target-path": { type: "string" },
  mode: { type: "string", default: "one-way" },
  conflict: { type: "string", default: "source-wins" },
  acl: { type: "string", default: "preserve" },
  ephemerals: { type: "string", default: "skip" },
  auth: { type: "string", multiple: true, default: [] as Array<string> },
  "source-auth": { type: "string", multiple: true, default: [] as Array<string> },
  "target-auth": { type: "string", multiple: true, default: [] as Array<string> },
  "dry-run": { type: "boolean", default: false },
  overwrite: { type: "boolean", default: false },
  "delete-extra": { type: "boolean", default: false },
  "max-padding-steps": { type: "string", default: "10000" },
  state: { type: "string", default: "zk-migrate-state.json" },
  "exit-when-synced": { type: "boolean", default: false },
  json: { type: "boolean", default: false },
  "metrics-port": { type: "string" },
  "metrics-host": { type: "string", default: "127.0.0.1" },
  help: { type: "boolean", default: false }
} satisfies ParseArgsOptionsConfig

const parseRaw = (argv: ReadonlyArray<string>) => {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true })
  } catch (cause) {
    throw new UsageError(cause instanceof Error ? cause.message : String(cause))
  }
}

/** Parses `argv` (without node and the script). Throws {@link UsageError}. */
export const parse = (argv: ReadonlyArray<string>): CliSettings => {
  const parsed = parseRaw(argv)
  const { values, positionals } = parsed
  if (values.help === true || positionals.length === 0) throw new UsageError("")
  const command = oneOf(positionals[0] as string, commands, "command")
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`)
  const needsEndpoints = command !== "status" && command !== "resume"
  if (needsEndpoints && (values.source === undefined || values.target === undefined)) {
    throw new UsageError(`${command} needs --source and --target`)
  }
  const steps = Number(values["max-padding-steps"])
  if (!Number.isInteger(steps) || steps < 0)
    throw new UsageError(`--max-padding-steps ${values["max-padding-steps"]}: expected a whole number`)
  const shared = auth(values.auth, "--auth")
  const metricsPort = values["metrics-port"] === undefined ? undefined : Number(values["metrics-port"])
  if (metricsPort !== undefined && (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535))
    throw new UsageError(`--metrics-port ${values["metrics-port"]}: expected a port number (0-65535)`)
  if (values["metrics-host"] === "") throw new UsageError("--metrics-host: expected an address, e.g. 127.0.0.1")
  return {
    command,
    source: values.source ?? "",
    target: values.target ?? "",
    path: values.path,
    targetPath: values["target-path"] ?? values.path,
    mode: oneOf(values.mode, ["one-way", "bidirectional"], "--mode"),
    conflict: oneOf<"source-wins" | "target-wins" | "last-writer-wins">(
      values.conflict,
      ["source-wins", "target-wins", "last-writer-wins"],
      "--conflict"
    ),
    policy: {
      ephemerals: oneOf(values.ephemerals, ["skip", "persistent"], "--ephemerals"),
      unsupportedKinds: "persistent",
      acl: aclPolicy(values.acl)
    },
    dryRun: values["dry-run"],
    overwrite: values.overwrite,
    deleteExtra: values["delete-extra"],
    sourceAuth: [...shared, ...auth(values["source-auth"], "--source-auth")],
    targetAuth: [...shared, ...auth(values["target-auth"], "--target-auth")],
    stateFile: values.state,
    exitWhenSynced: values["exit-when-synced"],
    json: values.json,
    maxPaddingSteps: steps,
    metricsPort,
    metricsHost: values["metrics-host"],
    given: {
      source: values.source !== undefined,
      target: values.target !== undefined,
      targetPath: values["target-path"] !== undefined
    }
  }
}
