import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { parse, UsageError, usage } from "../src/internal/cliArgs.js"

/** The CLI's argument parsing, in-process (the CLI tests run the same parser in a child process). */
const usageError = (argv: ReadonlyArray<string>): string => {
  try {
    parse(argv)
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    return (error as UsageError).message
  }
  throw new Error(`expected a usage error for ${argv.join(" ")}`)
}
const endpoints = ["--source", "a:2181", "--target", "b:2181"]

describe("zk-migrate command line", () => {
  it("parses every flag into typed settings", () => {
    const dir = mkdtempSync(join(tmpdir(), "zk-migrate-args-"))
    const aclFile = join(dir, "acl.json")
    writeFileSync(aclFile, JSON.stringify([{ from: "world:anyone", to: { scheme: "digest", id: "u:x", perms: 31 } }]))
    const settings = parse([
      "sync",
      ...endpoints,
      "--path",
      "/app",
      "--target-path",
      "/copy",
      "--mode",
      "bidirectional",
      "--conflict",
      "last-writer-wins",
      "--acl",
      `map:${aclFile}`,
      "--ephemerals",
      "persistent",
      "--auth",
      "digest:super:secret",
      "--source-auth",
      "digest:s:1",
      "--target-auth",
      "digest:t:2",
      "--dry-run",
      "--overwrite",
      "--delete-extra",
      "--max-padding-steps",
      "50",
      "--state",
      join(dir, "state.json"),
      "--exit-when-synced",
      "--json",
      "--metrics-port",
      "9464",
      "--metrics-host",
      "::1"
    ])
    expect(settings).toMatchObject({
      command: "sync",
      source: "a:2181",
      target: "b:2181",
      path: "/app",
      targetPath: "/copy",
      mode: "bidirectional",
      dryRun: true,
      overwrite: true,
      deleteExtra: true,
      maxPaddingSteps: 50,
      exitWhenSynced: true,
      json: true,
      metricsPort: 9464,
      metricsHost: "::1",
      given: { source: true, target: true, targetPath: true }
    })
    expect(settings.policy.ephemerals).toBe("persistent")
    expect(settings.policy.acl._tag).toBe("map")
    expect(settings.sourceAuth.length).toBe(2)
    expect(settings.targetAuth.length).toBe(2)
  })

  it("has defaults for everything but the endpoints", () => {
    const settings = parse(["copy", ...endpoints])
    expect(settings).toMatchObject({
      command: "copy",
      path: "/",
      targetPath: "/",
      mode: "one-way",
      dryRun: false,
      overwrite: false,
      deleteExtra: false,
      metricsPort: undefined,
      metricsHost: "127.0.0.1",
      given: { source: true, target: true, targetPath: false }
    })
    expect(settings.policy.acl._tag).toBe("preserve")
    expect(parse(["copy", ...endpoints, "--acl", "reset"]).policy.acl._tag).toBe("reset")
    // resume takes the endpoints from the state file
    expect(parse(["resume", "--state", "s.json"]).given).toEqual({ source: false, target: false, targetPath: false })
  })

  it("names the bad flag or value", () => {
    expect(usageError([])).toBe("")
    expect(usageError(["--help"])).toBe("")
    expect(usageError(["copy", ...endpoints, "extra"])).toBe('unexpected argument "extra"')
    expect(usageError(["copy", "--source", "a:1"])).toBe("copy needs --source and --target")
    expect(usageError(["copy", ...endpoints, "--mode", "sideways"])).toBe(
      '--mode "sideways": expected one of one-way, bidirectional'
    )
    expect(usageError(["copy", ...endpoints, "--conflict", "coin"])).toContain('--conflict "coin": expected one of')
    expect(usageError(["copy", ...endpoints, "--ephemerals", "keep"])).toContain("--ephemerals")
    expect(usageError(["copy", ...endpoints, "--auth", "nocolon"])).toBe(
      '--auth "nocolon": expected scheme:credentials, e.g. digest:user:password'
    )
    expect(usageError(["copy", ...endpoints, "--acl", "open"])).toBe(
      '--acl "open": expected preserve, reset or map:<file.json>'
    )
    expect(usageError(["copy", ...endpoints, "--acl", "map:/nonexistent/acl.json"])).toContain(
      "--acl map:/nonexistent/acl.json: cannot read /nonexistent/acl.json"
    )
    const dir = mkdtempSync(join(tmpdir(), "zk-migrate-args-"))
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ not: "a list" }))
    expect(usageError(["copy", ...endpoints, "--acl", `map:${join(dir, "bad.json")}`])).toContain("is not a list of")
    expect(usageError(["copy", ...endpoints, "--max-padding-steps", "many"])).toBe(
      "--max-padding-steps many: expected a whole number"
    )
    expect(usageError(["copy", ...endpoints, "--metrics-port", "70000"])).toBe(
      "--metrics-port 70000: expected a port number (0-65535)"
    )
    expect(usageError(["copy", ...endpoints, "--metrics-host", ""])).toBe(
      "--metrics-host: expected an address, e.g. 127.0.0.1"
    )
    expect(usageError(["copy", ...endpoints, "--no-such-flag"])).toContain("--no-such-flag")
    expect(usage).toContain("usage: zk-migrate <plan|copy|sync|verify|cutover|rollback|finalize|status|resume>")
  })
})
