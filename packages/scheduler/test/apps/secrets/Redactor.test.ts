import { describe, expect, it } from "@effect/vitest"
import { Cause, Data, Effect } from "effect"
import { fromValues, makeRedactor, Redactor } from "../../../src/apps/secrets/index.js"

const password = 's3cr3t-p@ss "quoted"\nsecond line!'
const token = "tok_9f8e7d6c5b4a"

class LaunchFailed extends Data.TaggedError("LaunchFailed")<{ readonly message: string; readonly cause: unknown }> {}

describe("Redactor", () => {
  it("replaces every known value, wherever it appears", () => {
    const redaction = fromValues([password, token])
    expect(redaction.redact(`curl -H "Authorization: Bearer ${token}" && echo ${token}`)).toBe(
      'curl -H "Authorization: Bearer <redacted>" && echo <redacted>'
    )
    expect(redaction.redact("nothing secret here")).toBe("nothing secret here")
  })

  it("catches the forms a value takes inside JSON, base64, URLs and multi-line text", () => {
    const redaction = fromValues([password, token])
    const event = JSON.stringify({ type: "status", message: `env DB_PASSWORD=${password} rejected` })
    expect(event).not.toContain(password) // JSON escaped the quotes and the newline
    expect(redaction.redact(event)).toBe(
      JSON.stringify({ type: "status", message: "env DB_PASSWORD=<redacted> rejected" })
    )
    expect(redaction.redact(`file content ${Buffer.from(token).toString("base64")}`)).toBe("file content <redacted>")
    expect(redaction.redact(`GET /login?p=${encodeURIComponent(password)}`)).toBe("GET /login?p=<redacted>")
    // a log line holding only one line of a multi-line value
    expect(redaction.redact('read "s3cr3t-p@ss \\"quoted\\"" then s3cr3t-p@ss "quoted"')).toBe(
      'read "<redacted>" then <redacted>'
    )
  })

  it("redacts messages of nested errors, as the scheduler formats them", () => {
    const redaction = fromValues([token])
    const inner = new Error(`401 for token ${token}`)
    const failure = new LaunchFailed({ message: `agent refused ${token}`, cause: inner })
    const pretty = Cause.pretty(Cause.fail(failure))
    expect(pretty).toContain(token)
    const redacted = redaction.redact(pretty)
    expect(redacted).not.toContain(token)
    expect(redacted).toContain("agent refused <redacted>")
    expect(redaction.redact(String(inner.stack))).toContain("401 for token <redacted>")
  })

  it("redacts strings and keys anywhere in a JSON-like value, leaving other values alone", () => {
    const redaction = fromValues([token])
    const event = {
      eventType: "status_update_event",
      taskId: "web.1",
      count: 3,
      ok: true,
      at: null,
      details: [{ message: `exec failed: ${token}` }, { [token]: "as a key" }]
    }
    expect(redaction.redactDeep(event)).toEqual({
      eventType: "status_update_event",
      taskId: "web.1",
      count: 3,
      ok: true,
      at: null,
      details: [{ message: "exec failed: <redacted>" }, { "<redacted>": "as a key" }]
    })
    expect(event.details[0]?.message).toContain(token) // not changed in place
  })

  it("leaves values shorter than 4 characters alone and treats regex characters literally", () => {
    const redaction = fromValues(["1", "on", "abc", "a.b*c"])
    expect(redaction.redact("1 on abc axbbc a.b*c")).toBe("1 on abc axbbc <redacted>")
    expect(fromValues([]).redact("a.b*c")).toBe("a.b*c")
  })

  it.effect("as a service, knows the values of every app until the app is removed", () =>
    Effect.gen(function* () {
      const redactor = yield* Redactor
      yield* redactor.set("/prod/web", [token])
      yield* redactor.set("/prod/db", ["db-password-1"])
      expect(redactor.redact(`${token} db-password-1`)).toBe("<redacted> <redacted>")
      yield* redactor.set("/prod/web", ["rotated-token-2"])
      expect(redactor.redact(`${token} rotated-token-2`)).toBe(`${token} <redacted>`)
      yield* redactor.remove("/prod/db")
      expect(redactor.redact("db-password-1")).toBe("db-password-1")
      expect(makeRedactor().redact(token)).toBe(token)
    }).pipe(Effect.provide(Redactor.layer))
  )
})
