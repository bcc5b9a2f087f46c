import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { afterAll } from "vitest"
import { AppDefinition } from "../../../src/apps/model/AppDefinition.js"
import { maxSecretBytes, resolveSecrets, SecretError } from "../../../src/apps/secrets/index.js"

const dir = mkdtempSync(join(tmpdir(), "orch-secrets-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const decodeApp = Schema.decodeUnknownSync(AppDefinition)
const app = (fields: Record<string, unknown>) =>
  decodeApp({ id: "/prod/web", container: { docker: { image: "busybox" } }, ...fields })

const write = (name: string, content: string | Uint8Array) => {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

const dbPassword = 's3cr3t-p@ss "quoted"\nsecond line'
const apiToken = "tok_9f8e7d6c5b4a"
const binary = new Uint8Array([0xff, 0x00, 0xfe, 0x41, 0x0a])

/** What `kubectl get secret db-credentials -o json` prints (values base64 in `data`). */
const kubectlSecret = {
  apiVersion: "v1",
  data: {
    password: Buffer.from(dbPassword).toString("base64"),
    "tls.key": Buffer.from(binary).toString("base64"),
    username: Buffer.from("admin").toString("base64")
  },
  kind: "Secret",
  metadata: {
    creationTimestamp: "2026-11-27T08:00:00Z",
    name: "db-credentials",
    namespace: "prod",
    resourceVersion: "48213",
    uid: "5b0c7a52-8f9e-4d1b-9a43-0e6f2d1c9b7e"
  },
  type: "Opaque"
}
const kubeFile = write("db-credentials.json", JSON.stringify(kubectlSecret, null, 4))
const tokenFile = write("api-token", apiToken)

const env = { API_TOKEN_FROM_ENV: "env-token-123456" }

describe("resolveSecrets", () => {
  it.effect("fills env references and secret files from a file, the scheduler's env and a Kubernetes Secret", () =>
    Effect.gen(function* () {
      const resolved = yield* resolveSecrets(
        app({
          env: {
            MODE: "production",
            DB_PASSWORD: { secret: "db" },
            DB_USER: { secret: "user" },
            API_TOKEN: { secret: "token" },
            FROM_ENV: { secret: "envToken" }
          },
          secrets: {
            db: { kubernetesSecret: kubeFile, key: "password" },
            user: { kubernetesSecret: kubeFile, key: "username" },
            tls: { kubernetesSecret: kubeFile, key: "tls.key" },
            token: { file: tokenFile },
            envToken: { env: "API_TOKEN_FROM_ENV" },
            unused: { file: join(dir, "missing-but-unused") }
          },
          secretFiles: [
            { secret: "tls", containerPath: "/etc/tls/key.pem" },
            { secret: "token", containerPath: "/run/secrets/token" }
          ]
        }),
        { env }
      )
      expect(resolved).toEqual({
        env: {
          MODE: "production",
          DB_PASSWORD: dbPassword,
          DB_USER: "admin",
          API_TOKEN: apiToken,
          FROM_ENV: "env-token-123456"
        },
        files: [
          { path: "/etc/tls/key.pem", content: Buffer.from(binary).toString("base64") },
          { path: "/run/secrets/token", content: Buffer.from(apiToken).toString("base64") }
        ],
        values: [dbPassword, "admin", apiToken, "env-token-123456", Buffer.from(binary).toString("base64")]
      })
    })
  )

  it.effect("takes stringData over data for the same key, as the API server merges them", () =>
    Effect.gen(function* () {
      const manifest = write(
        "manifest.json",
        JSON.stringify({
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name: "mixed" },
          data: { password: Buffer.from("old-value").toString("base64") },
          stringData: { password: "new-value" }
        })
      )
      const resolved = yield* resolveSecrets(
        app({ env: { P: { secret: "p" } }, secrets: { p: { kubernetesSecret: manifest, key: "password" } } })
      )
      expect(resolved.env).toEqual({ P: "new-value" })
    })
  )

  const failure = (fields: Record<string, unknown>) => Effect.flip(resolveSecrets(app(fields), { env }))

  it.effect("names the field and the secret, never the value, when a secret cannot be resolved", () =>
    Effect.gen(function* () {
      const cases: ReadonlyArray<readonly [Record<string, unknown>, SecretError]> = [
        [
          { env: { DB: { secret: "nope" } }, secrets: { db: { file: tokenFile } } },
          new SecretError({
            appId: "/prod/web",
            field: "env.DB",
            secret: "nope",
            reason: "no such secret in the app's secrets (known: db)"
          })
        ],
        [
          { secretFiles: [{ secret: "tls", containerPath: "/etc/key" }] },
          new SecretError({
            appId: "/prod/web",
            field: "secretFiles[0].secret",
            secret: "tls",
            reason: "no such secret in the app's secrets (known: none)"
          })
        ],
        [
          { env: { T: { secret: "t" } }, secrets: { t: { file: join(dir, "absent") } } },
          new SecretError({
            appId: "/prod/web",
            field: "secrets.t.file",
            secret: "t",
            reason: `cannot read file ${join(dir, "absent")}: no such file`
          })
        ],
        [
          { env: { T: { secret: "t" } }, secrets: { t: { file: dir } } },
          new SecretError({
            appId: "/prod/web",
            field: "secrets.t.file",
            secret: "t",
            reason: `cannot read file ${dir}: is a directory`
          })
        ],
        [
          { env: { T: { secret: "t" } }, secrets: { t: { env: "NOT_SET_ANYWHERE" } } },
          new SecretError({
            appId: "/prod/web",
            field: "secrets.t.env",
            secret: "t",
            reason: "the scheduler's environment variable NOT_SET_ANYWHERE is not set"
          })
        ],
        [
          { env: { T: { secret: "t" } }, secrets: { t: { kubernetesSecret: kubeFile, key: "token" } } },
          new SecretError({
            appId: "/prod/web",
            field: "secrets.t.kubernetesSecret",
            secret: "t",
            reason: `${kubeFile}: Secret "db-credentials" has no key "token" (keys: password, tls.key, username)`
          })
        ],
        [
          { env: { K: { secret: "k" } }, secrets: { k: { kubernetesSecret: kubeFile, key: "tls.key" } } },
          new SecretError({
            appId: "/prod/web",
            field: "env.K",
            secret: "k",
            reason: "the value is not UTF-8 text; use secretFiles"
          })
        ],
        [
          {
            secrets: { a: { file: tokenFile } },
            secretFiles: [
              { secret: "a", containerPath: "/run/a" },
              { secret: "a", containerPath: "/run/a" }
            ]
          },
          new SecretError({
            appId: "/prod/web",
            field: "secretFiles[1].containerPath",
            secret: "a",
            reason: "/run/a is used by another secret file"
          })
        ]
      ]
      for (const [fields, expected] of cases) {
        const error = yield* failure(fields)
        expect(error).toEqual(expected)
        for (const value of [dbPassword, apiToken, "admin"]) expect(error.message).not.toContain(value)
      }
      expect(cases[0]![1].message).toBe(
        `app /prod/web: env.DB: secret "nope": no such secret in the app's secrets (known: db)`
      )
    })
  )

  it.effect("never quotes a broken Secret file, even where a JSON parser would", () =>
    Effect.gen(function* () {
      const leaky = "hunter2-very-secret"
      const broken = write("broken.json", `{"kind":"Secret","stringData":{"password":"${leaky}"`)
      const list = write("list.json", JSON.stringify({ apiVersion: "v1", kind: "List", items: [kubectlSecret] }))
      const badBase64 = write(
        "bad64.json",
        JSON.stringify({ apiVersion: "v1", kind: "Secret", data: { password: `${leaky}!!` } })
      )
      const reasons: Array<string> = []
      for (const file of [broken, list, badBase64]) {
        const error = yield* failure({
          env: { P: { secret: "p" } },
          secrets: { p: { kubernetesSecret: file, key: "password" } }
        })
        expect([error.field, error.secret]).toEqual(["secrets.p.kubernetesSecret", "p"])
        expect(error.message).not.toContain(leaky)
        expect(error.message).not.toContain("hunter2")
        reasons.push(error.reason)
      }
      expect(reasons).toEqual([
        `${broken}: the file is not valid JSON (expects a Kubernetes Secret object)`,
        `${list}: the file is not a Kubernetes Secret object (kind "List"; expects kind "Secret" with string maps data and/or stringData)`,
        `${badBase64}: data.password is not base64 (RFC 4648, padded)`
      ])
    })
  )

  it.effect("refuses a source larger than Kubernetes' 1 MiB limit without reading it", () =>
    Effect.gen(function* () {
      const big = write("big", Buffer.alloc(maxSecretBytes + 1, 0x61))
      const error = yield* failure({ env: { B: { secret: "b" } }, secrets: { b: { file: big } } })
      expect([error.field, error.reason]).toEqual(["secrets.b.file", `file ${big} is larger than 1048576 bytes`])
    })
  )
})
