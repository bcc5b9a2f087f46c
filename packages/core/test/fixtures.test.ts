import { existsSync } from "node:fs"
import { extract } from "tar-stream"
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
  it("writes folders, files and symlinks owned by root that an extractor reads back as written", async () => {
    const archive = await tar(
      [
        { type: "dir", path: "bin" },
        { type: "dir", path: "tmp", mode: 0o1777 },
        { type: "file", path: "bin/hello", data: Buffer.from("hi\n"), mode: 0o755 },
        { type: "file", path: `deep/${"d".repeat(120)}/file`, data: Buffer.from("long path\n") },
        { type: "symlink", path: "bin/sh", target: "hello" }
      ],
      new Date(1_700_000_000_000)
    )
    const read: Array<{
      name: string
      type: string
      mode: number
      uid: number
      linkname: string
      data: string
      mtime: number
    }> = []
    const extractor = extract()
    extractor.on("entry", (header, stream, next) => {
      const chunks: Array<Buffer> = []
      stream.on("data", (chunk) => chunks.push(chunk as Buffer))
      stream.on("end", () => {
        read.push({
          name: header.name,
          type: header.type ?? "",
          mode: header.mode ?? -1,
          uid: header.uid ?? -1,
          linkname: header.linkname ?? "",
          data: Buffer.concat(chunks).toString(),
          mtime: header.mtime?.getTime() ?? 0
        })
        next()
      })
    })
    await new Promise<void>((resolve, reject) => {
      extractor.on("finish", resolve)
      extractor.on("error", reject)
      extractor.end(archive)
    })
    const mtime = 1_700_000_000_000
    expect(read).toEqual([
      { name: "bin", type: "directory", mode: 0o755, uid: 0, linkname: "", data: "", mtime },
      { name: "tmp", type: "directory", mode: 0o1777, uid: 0, linkname: "", data: "", mtime },
      { name: "bin/hello", type: "file", mode: 0o755, uid: 0, linkname: "", data: "hi\n", mtime },
      {
        name: `deep/${"d".repeat(120)}/file`,
        type: "file",
        mode: 0o644,
        uid: 0,
        linkname: "",
        data: "long path\n",
        mtime
      },
      { name: "bin/sh", type: "symlink", mode: 0o777, uid: 0, linkname: "hello", data: "", mtime }
    ])
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
        body: Buffer.from(
          JSON.stringify({ Image: testImage, Cmd: ["sh", "-c", "ip -4 -o addr show eth0; ls -ld /tmp; ls -l /bin/sh"] })
        )
      })
      expect(created.status).toBe(201)
      const { Id: id } = JSON.parse(created.body) as { Id: string }
      expect((await engineRequest(engine.socketPath, "POST", `/containers/${id}/start`)).status).toBe(204)
      const waited = await engineRequest(engine.socketPath, "POST", `/containers/${id}/wait`, { timeoutMs: 20_000 })
      expect(JSON.parse(waited.body)).toMatchObject({ StatusCode: 0 })
      const logs = await engineRequest(engine.socketPath, "GET", `/containers/${id}/logs?stdout=1&stderr=1`)
      const subnet = engine.bridge?.cidr.split(".").slice(0, 3).join(".") ?? "?"
      expect(logs.body).toContain(`inet ${subnet}.`)
      // the rootfs came through the import with its modes and links: sticky /tmp, applets linked to busybox
      expect(logs.body).toMatch(/drwxrwxrwt .* \/tmp/)
      expect(logs.body).toMatch(/\/bin\/sh -> busybox/)

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
