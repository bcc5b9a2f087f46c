import { existsSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { engineRequest, ping } from "../../../test/fixtures/dockerApi.js"
import { ensureTestImage } from "../../../test/fixtures/dockerImage.js"
import {
  dockerFixture,
  fourLetterWord,
  requireDocker,
  requireZooKeeper,
  serverMode,
  startPrivateDockerd,
  testImage,
  waitForQuorum,
  zookeeperFixture
} from "../../../test/fixtures/index.js"
import { isAlive } from "../../../test/fixtures/process.js"
import { tar } from "../../../test/fixtures/tar.js"

describe("tar", () => {
  it("writes ustar headers with valid checksums, padded data and two end blocks", () => {
    const archive = tar([
      { type: "dir", path: "bin" },
      { type: "file", path: "bin/hello", data: Buffer.from("hi\n"), mode: 0o755 },
      { type: "symlink", path: "bin/sh", target: "hello" }
    ])
    expect(archive.length).toBe(512 * 6)
    const header = (index: number) => archive.subarray(index * 512, index * 512 + 512)
    const field = (block: Buffer, offset: number, length: number) =>
      block
        .subarray(offset, offset + length)
        .toString("utf8")
        .replace(/\0.*$/s, "")
    expect([0, 1, 3].map((i) => [field(header(i), 0, 100), field(header(i), 156, 1)])).toEqual([
      ["bin/", "5"],
      ["bin/hello", "0"],
      ["bin/sh", "2"]
    ])
    expect(field(header(3), 157, 100)).toBe("hello")
    expect(Number.parseInt(field(header(1), 124, 12), 8)).toBe(3)
    expect(field(header(1), 100, 8)).toBe("0000755")
    expect(archive.subarray(1024, 1027).toString()).toBe("hi\n")
    for (const i of [0, 1, 3]) {
      const block = Buffer.from(header(i))
      const stored = Number.parseInt(field(block, 148, 8).trim(), 8)
      block.write("        ", 148, "ascii")
      expect(block.reduce((sum, byte) => sum + byte, 0)).toBe(stored)
    }
    expect(archive.subarray(512 * 4).every((byte) => byte === 0)).toBe(true)
  })
})

describe.skipIf(dockerFixture() === null)("Docker fixture", () => {
  it("serves the shared engine with the test image built", async () => {
    const { socketPath, testImage } = requireDocker()
    expect(await ping(socketPath)).toBe(true)
    const image = await engineRequest(socketPath, "GET", `/images/${encodeURIComponent(testImage)}/json`)
    expect(image.status).toBe(200)
    const inspect = JSON.parse(image.body) as { RepoTags: Array<string>; Config: { Cmd: Array<string> } }
    expect(inspect.RepoTags).toContain(testImage)
    expect(inspect.Config.Cmd).toEqual(["sh"])
  })

  it("starts a private dockerd with its own socket, data-root, exec-root and bridge, runs a container, stops it", async () => {
    const shared = requireDocker().socketPath
    const engine = await startPrivateDockerd({ name: "fixturetest" })
    try {
      expect(engine.socketPath).not.toBe(shared)
      expect(await ping(engine.socketPath)).toBe(true)
      const info = JSON.parse((await engineRequest(engine.socketPath, "GET", "/info")).body) as {
        DockerRootDir: string
        Containers: number
      }
      expect(info).toMatchObject({ DockerRootDir: engine.dataRoot, Containers: 0 })
      expect(existsSync(`/sys/class/net/${engine.bridge?.name}`)).toBe(true)

      expect(await ensureTestImage(engine.socketPath)).toBe(true)
      const created = await engineRequest(engine.socketPath, "POST", "/containers/create", {
        contentType: "application/json",
        body: Buffer.from(JSON.stringify({ Image: testImage, Cmd: ["sh", "-c", "ip -4 -o addr show eth0"] }))
      })
      expect(created.status).toBe(201)
      const { Id: id } = JSON.parse(created.body) as { Id: string }
      expect((await engineRequest(engine.socketPath, "POST", `/containers/${id}/start`)).status).toBe(204)
      const waited = await engineRequest(engine.socketPath, "POST", `/containers/${id}/wait`, { timeoutMs: 20_000 })
      expect(JSON.parse(waited.body)).toMatchObject({ StatusCode: 0 })
      const logs = await engineRequest(engine.socketPath, "GET", `/containers/${id}/logs?stdout=1&stderr=1`)
      const subnet = engine.bridge?.cidr.split(".").slice(0, 3).join(".") ?? "?"
      expect(logs.body).toContain(`inet ${subnet}.`)

      // the shared engine is untouched
      expect(await ping(shared)).toBe(true)
    } finally {
      await engine.stop()
    }
    expect(isAlive(engine.pid)).toBe(false)
    expect(await ping(engine.socketPath, 500)).toBe(false)
    expect(existsSync(`/sys/class/net/${engine.bridge?.name}`)).toBe(false)
    expect(existsSync(engine.root)).toBe(false)
    expect(await ping(shared)).toBe(true)
  })

  it("starts a private dockerd without networking in its own network namespace, keeping the host's docker0", async () => {
    const hadDocker0 = existsSync("/sys/class/net/docker0")
    const engine = await startPrivateDockerd({ name: "fixturenone", network: "none" })
    try {
      expect(engine.bridge).toBeUndefined()
      expect(await ping(engine.socketPath)).toBe(true)
      const networks = JSON.parse((await engineRequest(engine.socketPath, "GET", "/networks")).body) as Array<{
        Name: string
      }>
      expect(networks.map((network) => network.Name).sort()).toEqual(["host", "none"])
    } finally {
      await engine.stop()
    }
    expect(isAlive(engine.pid)).toBe(false)
    expect(existsSync("/sys/class/net/docker0")).toBe(hadDocker0)
  })
})

describe.skipIf(zookeeperFixture() === null)("ZooKeeper fixture", () => {
  it("runs a standalone server that answers ruok and reports standalone mode", async () => {
    const { standalone } = requireZooKeeper()
    expect(await fourLetterWord(standalone.clientPort, "ruok")).toBe("imok")
    expect(await serverMode(standalone)).toBe("standalone")
  })

  it("runs a three-server ensemble with exactly one leader", async () => {
    const { ensemble } = requireZooKeeper()
    expect(ensemble.servers.map((server) => server.id)).toEqual([1, 2, 3])
    expect(ensemble.connectString.split(",")).toHaveLength(3)
    const { leader, followers } = await waitForQuorum(ensemble, 30_000)
    expect(followers).toHaveLength(2)
    const mntr = await fourLetterWord(leader.clientPort, "mntr")
    expect(mntr).toMatch(/zk_server_state\tleader/)
    expect(mntr).toMatch(/zk_synced_followers\t2/)
  })

  it("uses the short test timing", async () => {
    const { standalone, minSessionTimeoutMs, maxSessionTimeoutMs } = requireZooKeeper()
    const conf = await fourLetterWord(standalone.clientPort, "conf")
    expect(conf).toMatch(/tickTime=200/)
    expect(conf).toMatch(new RegExp(`minSessionTimeout=${minSessionTimeoutMs}`))
    expect(conf).toMatch(new RegExp(`maxSessionTimeout=${maxSessionTimeoutMs}`))
  })
})
