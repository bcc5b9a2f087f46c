/**
 * Resolving an app's secrets when a task is launched: `env` values that reference a secret and `secretFiles`
 * get the secret's value from its source (a file, an environment variable of the scheduler, or a key of a
 * Kubernetes Secret JSON file). The result goes only into the task spec sent to the agent; its `values` go to
 * the `Redactor`.
 *
 * @since 0.1.0
 */
import { readFile, stat } from "node:fs/promises"
import { Effect } from "effect"
import type { AppDefinition, SecretSource } from "../model/AppDefinition.js"
import { maxSecretBytes, secretValue } from "./KubernetesSecret.js"
import { SecretError } from "./SecretError.js"

/**
 * An app's environment and files with secrets filled in. `env` is the app's literal env plus the
 * secret-backed values; `files` are the secret files (content base64) for `TaskSpec.files`; `values` are the
 * secret values as text (binary ones in base64), for redaction.
 *
 * **Gotchas**: never log, store or answer with this: it holds the secrets in clear.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResolvedSecrets {
  readonly env: Record<string, string>
  readonly files: ReadonlyArray<{ readonly path: string; readonly content: string }>
  readonly values: ReadonlyArray<string>
}

/**
 * Options of {@link resolveSecrets}.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResolveOptions {
  /** The environment `{ env }` sources read. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>
}

type App = Pick<AppDefinition, "id" | "env" | "secrets" | "secretFiles">

const describeIoError = (cause: unknown): string => {
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined
  switch (code) {
    case "ENOENT":
      return "no such file"
    case "EACCES":
    case "EPERM":
      return "permission denied"
    case "EISDIR":
      return "is a directory"
    default:
      return code ?? "unreadable"
  }
}

/** Reads a source file (at most {@link maxSecretBytes}); the error names the file, never its content. */
const readSourceFile = (path: string, fail: (reason: string) => SecretError) =>
  Effect.tryPromise({
    try: async () => {
      const info = await stat(path)
      if (info.isDirectory()) throw Object.assign(new Error("directory"), { code: "EISDIR" })
      if (info.size > maxSecretBytes) throw Object.assign(new Error("too large"), { code: "EFBIG" })
      return new Uint8Array(await readFile(path))
    },
    catch: (cause) =>
      fail(
        describeIoError(cause) === "EFBIG"
          ? `file ${path} is larger than ${maxSecretBytes} bytes`
          : `cannot read file ${path}: ${describeIoError(cause)}`
      )
  })

const readSource = (
  source: SecretSource,
  env: Readonly<Record<string, string | undefined>>,
  fail: (field: string, reason: string) => SecretError
): Effect.Effect<Uint8Array, SecretError> => {
  if ("file" in source) return readSourceFile(source.file, (reason) => fail("file", reason))
  if ("env" in source) {
    const value = env[source.env]
    return value === undefined
      ? Effect.fail(fail("env", `the scheduler's environment variable ${source.env} is not set`))
      : Effect.succeed(new TextEncoder().encode(value))
  }
  return readSourceFile(source.kubernetesSecret, (reason) => fail("kubernetesSecret", reason)).pipe(
    Effect.flatMap((bytes) => {
      const found = secretValue(Buffer.from(bytes).toString("utf8"), source.key)
      return found._tag === "Value"
        ? Effect.succeed(found.bytes)
        : Effect.fail(fail("kubernetesSecret", `${source.kubernetesSecret}: ${found.reason}`))
    })
  )
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

/**
 * Resolves the app's secret references. Fails with a {@link SecretError} naming the field and the secret when
 * a reference names no secret in `secrets`, a source cannot be read, a Kubernetes Secret lacks the key, an
 * env value is not text (use `secretFiles` for binary secrets), or two secret files share a path. Each
 * secret is read once per call, and only if referenced.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolveSecrets = Effect.fn("resolveSecrets")(function* (app: App, options: ResolveOptions = {}) {
  const env = options.env ?? process.env
  const cache = new Map<string, Uint8Array>()
  const error = (field: string, secret: string, reason: string) =>
    new SecretError({ appId: app.id, field, secret, reason })

  const secretBytes = Effect.fnUntraced(function* (name: string, field: string) {
    const cached = cache.get(name)
    if (cached !== undefined) return cached
    const source = Object.hasOwn(app.secrets, name) ? app.secrets[name] : undefined
    if (source === undefined) {
      const known = Object.keys(app.secrets).sort()
      return yield* Effect.fail(
        error(field, name, `no such secret in the app's secrets (known: ${known.join(", ") || "none"})`)
      )
    }
    const bytes = yield* readSource(source, env, (kind, reason) => error(`secrets.${name}.${kind}`, name, reason))
    cache.set(name, bytes)
    return bytes
  })

  const resolvedEnv: Record<string, string> = {}
  for (const [key, value] of Object.entries(app.env)) {
    if (typeof value === "string") {
      resolvedEnv[key] = value
      continue
    }
    const bytes = yield* secretBytes(value.secret, `env.${key}`)
    let text: string
    try {
      text = utf8.decode(bytes)
    } catch {
      return yield* Effect.fail(error(`env.${key}`, value.secret, "the value is not UTF-8 text; use secretFiles"))
    }
    if (text.includes("\0")) {
      return yield* Effect.fail(error(`env.${key}`, value.secret, "the value contains a NUL byte; use secretFiles"))
    }
    resolvedEnv[key] = text
  }

  const files: Array<{ readonly path: string; readonly content: string }> = []
  const paths = new Set<string>()
  for (const [i, file] of app.secretFiles.entries()) {
    if (paths.has(file.containerPath)) {
      return yield* Effect.fail(
        error(`secretFiles[${i}].containerPath`, file.secret, `${file.containerPath} is used by another secret file`)
      )
    }
    paths.add(file.containerPath)
    const bytes = yield* secretBytes(file.secret, `secretFiles[${i}].secret`)
    files.push({ path: file.containerPath, content: Buffer.from(bytes).toString("base64") })
  }

  // a binary value can only show up encoded: its base64 form (as in `files`) is what to redact
  const asText = (bytes: Uint8Array) => {
    try {
      return utf8.decode(bytes)
    } catch {
      return Buffer.from(bytes).toString("base64")
    }
  }
  const values = [...new Set([...cache.values()].map(asText))]
  return { env: resolvedEnv, files, values } satisfies ResolvedSecrets
})
