import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { latestFields, makeNode } from "../src/Report.js"
import * as Search from "../src/Search.js"
import type { RenderedNode } from "../src/views/View.js"

const parsed = (query: string) => Result.getOrThrow(Search.parse(query))
const failure = (query: string) => {
  const result = Search.parse(query)
  return Result.isFailure(result) ? { ...result.failure, message: result.failure.message } : undefined
}
const compile = (query: string) => Result.getOrThrow(Search.compile(query))

describe("Search.parse", () => {
  it("parses free text, phrases and field terms", () => {
    expect(parsed("")).toEqual({ _tag: "All" })
    expect(parsed('""')).toEqual({ _tag: "All" })
    expect(parsed("Web Server")).toEqual({
      _tag: "And",
      terms: [
        { _tag: "Text", text: "web" },
        { _tag: "Text", text: "server" }
      ]
    })
    expect(parsed('"Web Server"')).toEqual({ _tag: "Text", text: "web server" })
    expect(parsed('"say \\"hi\\""')).toEqual({ _tag: "Text", text: 'say "hi"' })
    expect(parsed("app:Web")).toEqual({ _tag: "Field", key: "app", value: "web", text: "app:web" })
    expect(parsed('label:"my app"')).toEqual({ _tag: "Field", key: "label", value: "my app", text: "label:my app" })
    expect(parsed('label: "my app"')).toEqual({ _tag: "Field", key: "label", value: "my app", text: "label:my app" })
    expect(parsed("image:nginx:1.25")).toEqual({
      _tag: "Field",
      key: "image",
      value: "nginx:1.25",
      text: "image:nginx:1.25"
    })
    expect(parsed("env:A=B")).toEqual({ _tag: "Field", key: "env", value: "a=b", text: "env:a=b" })
    expect(parsed("app.kubernetes.io/name:web")).toEqual({
      _tag: "Field",
      key: "app.kubernetes.io/name",
      value: "web",
      text: "app.kubernetes.io/name:web"
    })
    expect(parsed("app:*")).toEqual({ _tag: "Field", key: "app", value: "*", text: "app:*" })
  })

  it("reads IPv6 addresses and host:port as text, not as fields", () => {
    expect(parsed("fd00::1")).toEqual({ _tag: "Text", text: "fd00::1" })
    expect(parsed("2001:db8:0:0:0:0:0:1")).toEqual({ _tag: "Text", text: "2001:db8:0:0:0:0:0:1" })
    expect(parsed("10.0.0.1:80")).toEqual({ _tag: "Text", text: "10.0.0.1:80" })
  })

  it("parses comparisons with units into base units, with or without spaces", () => {
    const cmp = (key: string, op: Search.CompareOp, value: number, unit: string) => ({
      _tag: "Compare",
      key,
      op,
      value,
      unit
    })
    expect(["cpu > 50%", "cpu>50%", "cpu >50%", "cpu> 50%"].map(parsed)).toEqual(
      Array.from({ length: 4 }, () => cmp("cpu", ">", 50, "%"))
    )
    expect(parsed("memory>=200MB")).toEqual(cmp("memory", ">=", 200e6, "MB"))
    expect(parsed("mem < 1.5GiB")).toEqual(cmp("mem", "<", 1.5 * 1024 ** 3, "GiB"))
    expect(parsed("memory<=512kib")).toEqual(cmp("memory", "<=", 512 * 1024, "kib"))
    expect(parsed("rx > .5KB")).toEqual(cmp("rx", ">", 500, "KB"))
    expect(parsed("disk = 2TB")).toEqual(cmp("disk", "=", 2e12, "TB"))
    expect(parsed("disk < 1TiB")).toEqual(cmp("disk", "<", 1024 ** 4, "TiB"))
    expect(parsed("b > 3GB")).toEqual(cmp("b", ">", 3e9, "GB"))
    expect(parsed("m > 2MiB")).toEqual(cmp("m", ">", 2 * 1024 ** 2, "MiB"))
    expect(parsed("k > 2B")).toEqual(cmp("k", ">", 2, "B"))
    expect(parsed("pid=100")).toEqual(cmp("pid", "=", 100, ""))
    expect(parsed("cpu != 0")).toEqual(cmp("cpu", "!=", 0, ""))
  })

  it("parses equality on text values", () => {
    expect(parsed("state=Running")).toEqual({ _tag: "Equals", key: "state", value: "running", negate: false })
    expect(parsed("state!=exited")).toEqual({ _tag: "Equals", key: "state", value: "exited", negate: true })
    expect(parsed('name="My App"')).toEqual({ _tag: "Equals", key: "name", value: "my app", negate: false })
  })

  it("parses OR (binding looser than AND) and parentheses", () => {
    expect(parsed("a OR b c")).toEqual({
      _tag: "Or",
      terms: [
        { _tag: "Text", text: "a" },
        {
          _tag: "And",
          terms: [
            { _tag: "Text", text: "b" },
            { _tag: "Text", text: "c" }
          ]
        }
      ]
    })
    expect(parsed("(a OR b) c")).toEqual({
      _tag: "And",
      terms: [
        {
          _tag: "Or",
          terms: [
            { _tag: "Text", text: "a" },
            { _tag: "Text", text: "b" }
          ]
        },
        { _tag: "Text", text: "c" }
      ]
    })
    expect(parsed("a or b")).toEqual({
      _tag: "And",
      terms: [
        { _tag: "Text", text: "a" },
        { _tag: "Text", text: "or" },
        { _tag: "Text", text: "b" }
      ]
    })
  })

  it("describes each syntax error with its position", () => {
    const error = (query: string, position: number, message: string) => ({
      _tag: "SearchSyntaxError",
      query,
      position,
      message
    })
    const units = "(use %, B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)"
    expect(
      [
        '"open',
        "cpu >",
        "cpu > (",
        "cpu >= OR",
        "cpu > abc",
        'cpu < "x"',
        "memory > 200XB",
        "> 50",
        "10 > 5",
        "name:",
        "OR web",
        "web OR",
        "web OR OR x",
        "a (b OR )",
        "(web",
        "(web x",
        "(",
        "web)",
        "()"
      ].map(failure)
    ).toEqual([
      error('"open', 0, "unterminated quoted phrase"),
      error("cpu >", 5, "expected a value after '>'"),
      error("cpu > (", 6, "expected a value after '>'"),
      error("cpu >= OR", 7, "expected a value after '>='"),
      error("cpu > abc", 6, "expected a number after '>'"),
      error('cpu < "x"', 6, "expected a number after '<'"),
      error("memory > 200XB", 12, `unknown unit 'XB' ${units}`),
      error("> 50", 0, "expected a field or metric name before '>'"),
      error("10 > 5", 0, "expected a field or metric name before '>'"),
      error("name:", 5, "expected a value after 'name:'"),
      error("OR web", 0, "expected a term before OR"),
      error("web OR", 4, "expected a term after OR"),
      error("web OR OR x", 4, "expected a term after OR"),
      error("a (b OR )", 5, "expected a term after OR"),
      error("(web", 0, "missing ')'"),
      error("(web x", 0, "missing ')'"),
      error("(", 0, "missing ')'"),
      error("web)", 3, "unexpected ')'"),
      error("()", 0, "empty parentheses")
    ])
  })

  it("fails as a tagged error an Effect program can catch", () => {
    const result = Search.compile("cpu >")
    expect(Result.isFailure(result) && result.failure).toBeInstanceOf(Search.SearchSyntaxError)
  })
})

const rendered: RenderedNode = {
  id: "9f1c",
  topology: "containers",
  label: "web",
  labelMinor: "host-a",
  rank: "nginx",
  shape: "hexagon",
  status: "healthy",
  pseudo: false,
  stack: 3,
  parents: { hosts: ["host-a"] },
  labels: { app: "frontend", "app.kubernetes.io/name": "web-ui" },
  metrics: { cpu: 62.5, memory: 300e6, connections: 4 },
  members: ["9f1c"]
}

const reportNode = makeNode("containers", "9f1c", {
  latest: latestFields(1, {
    docker_container_name: "/web",
    docker_container_state: "running",
    docker_image_name: "nginx:1.25",
    pid: 4242,
    cmdline: "nginx -g daemon off;"
  }),
  labels: latestFields(1, { app: "frontend", build: "1234" }),
  sets: { ips: ["10.0.0.7", "fd00::7"] },
  metrics: { cpu: [[1, 12.5]], memory: [[1, 2 * 1024 ** 3]] },
  parents: { hosts: ["host-a"] }
})

describe("Search.matches", () => {
  const on = (query: string) => Search.matches(compile(query), rendered)
  it("matches free text in the label, minor label, id and labels, ignoring case", () => {
    expect(["WEB", "host-A", "9f1", "frontend", "kubernetes.io", "web web", "nope", "web nope"].map(on)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
      false,
      false
    ])
  })

  it("matches fields by key, with `label`, `id` and `topology` naming those properties", () => {
    expect(
      [
        "app:front",
        "app:*",
        "build:*",
        "label:we",
        "id:9f1c",
        "topology:containers",
        "hosts:host-a",
        "app.kubernetes.io/name:ui",
        "app:back"
      ].map(on)
    ).toEqual([true, true, false, true, true, true, true, true, false])
  })

  it("compares metrics with units and falls back to numeric labels", () => {
    expect(
      [
        "cpu > 50%",
        "cpu >= 62.5",
        "cpu < 50",
        "cpu <= 62.5",
        "cpu = 62.5",
        "cpu != 62.5",
        "memory > 200MB",
        "mem > 200MB",
        "memory > 300MiB",
        "connections > 3",
        "network_rx_bytes_per_second > 0",
        "network_rx_bytes_per_second != 1"
      ].map(on)
    ).toEqual([true, true, false, true, true, false, true, true, false, true, false, true])
  })

  it("combines terms with AND, OR and parentheses", () => {
    expect(["web cpu > 50%", "web cpu > 90%", "nope OR cpu > 50%", "(nope OR web) memory < 1GB"].map(on)).toEqual([
      true,
      false,
      true,
      true
    ])
  })

  it("compares text fields exactly with = and !=", () => {
    expect(["label=web", "label=WEB", "label=we", "label!=we", "app=frontend", "missing!=x"].map(on)).toEqual([
      true,
      true,
      false,
      true,
      true,
      true
    ])
  })
})

describe("Search.matchesNode", () => {
  const on = (query: string) => Search.matchesNode(compile(query), reportNode)

  it("matches free text in the id, latest values, labels and sets", () => {
    expect(["9f1c", "NGINX:1.25", "daemon off", "build", "1234", "fd00::7", "10.0.0.7", "nope"].map(on)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      false
    ])
  })

  it("matches fields, the display label, parents and sets by key", () => {
    expect(
      [
        "docker_container_state:run",
        "docker_container_state=running",
        "label:web",
        "label=web",
        "id:9f1c",
        "topology=containers",
        "ips:fd00",
        "hosts:host-a",
        "build:12",
        "image:nginx",
        "nginx:1.25",
        "nginx:1.24"
      ].map(on)
    ).toEqual([true, true, true, true, true, true, true, true, true, false, true, false])
  })

  it("compares metrics from the latest sample and numeric fields", () => {
    expect(
      ["cpu > 10%", "cpu > 50%", "memory >= 2GiB", "memory > 2GiB", "pid = 4242", "pid < 100", "build > 1000"].map(on)
    ).toEqual([true, false, true, false, true, false, true])
  })

  it("matches every node with the empty query", () => {
    expect(Search.matchesNode(Search.all, reportNode)).toBe(true)
    expect(Search.matches(compile("   "), rendered)).toBe(true)
  })
})

describe("Search.matchesWithMembers", () => {
  it("lets each term match the rendered node or one of the report nodes it stands for", () => {
    const q = compile("web docker_image_name:nginx cpu > 50%")
    expect(Search.matchesWithMembers(q, rendered, [reportNode])).toBe(true)
    expect(Search.matches(q, rendered)).toBe(false)
    expect(Search.matchesNode(q, reportNode)).toBe(false)
  })

  it("compiles a parsed query once for many nodes", () => {
    const q = Search.fromQuery(parsed("app:frontend"), "app:frontend")
    expect(q.source).toBe("app:frontend")
    expect([Search.matches(q, rendered), Search.matchesNode(q, reportNode)]).toEqual([true, true])
  })
})
