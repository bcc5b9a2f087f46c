import { describe, expect, it } from "@effect/vitest"
import { ZooKeeperClient } from "@orchestrator/core/zookeeper"
import { Context, type Duration, Effect, Exit, Layer, Option, Scope, Stream } from "effect"
import {
  pauseZooKeeperServer,
  resumeZooKeeperServer,
  privateZooKeeperServer,
  zookeeperFixture
} from "../../../../test/fixtures/index.js"
import * as LeaderDetector from "../../src/cluster/election/LeaderDetector.js"
import { LeaderElection } from "../../src/cluster/election/LeaderElection.js"
import { createMaster } from "../../src/cluster/index.js"

const fixture = zookeeperFixture()

describe.skipIf(fixture === null)(
  "Leader election and a master losing its session (a private ZooKeeper server)",
  () => {
    const server = privateZooKeeperServer("election")

    const info = (id: string) => JSON.stringify({ id, url: `http://${id}:5050`, hostname: id, pid: 1 })

    /** A candidate with its own ZooKeeper session, in a scope the test can close (a master that stops). */
    const candidate = (path: string, id: string, sessionTimeoutMs = 2_000) =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const context = yield* Layer.buildWithScope(
          LeaderElection.layer({ path, data: info(id) }).pipe(
            Layer.provideMerge(ZooKeeperClient.layer({ connectString: server().connectString, sessionTimeoutMs }))
          ),
          scope
        )
        return { id, scope, election: Context.get(context, LeaderElection), zk: Context.get(context, ZooKeeperClient) }
      })

    const leads = (election: LeaderElection["Service"], value: boolean, timeout: Duration.Input = "10 seconds") =>
      election.leadership.pipe(
        Stream.filter((leading) => leading === value),
        Stream.runHead,
        Effect.timeout(timeout)
      )

    it.live("one candidate leads; each waits for its predecessor; the next leads when the leader leaves", () =>
      Effect.gen(function* () {
        const path = `/election-${process.pid}-${Date.now()}`
        const a = yield* candidate(path, "a")
        yield* leads(a.election, true)
        const b = yield* candidate(path, "b")
        const c = yield* candidate(path, "c")
        yield* Effect.sleep("300 millis")
        expect([yield* a.election.isLeader, yield* b.election.isLeader, yield* c.election.isLeader]).toEqual([
          true,
          false,
          false
        ])
        const detected = yield* LeaderDetector.currentLeader(a.zk, path)
        expect(Option.map(detected, (l) => l.id)).toEqual(Option.some("a"))

        // the middle candidate leaves: nothing changes for the others
        yield* Scope.close(b.scope, Exit.void)
        yield* Effect.sleep("300 millis")
        expect([yield* a.election.isLeader, yield* c.election.isLeader]).toEqual([true, false])

        // the leader leaves: c (whose predecessor was b, then a) leads
        const started = Date.now()
        yield* Scope.close(a.scope, Exit.void)
        yield* leads(c.election, true, "5 seconds")
        expect(Date.now() - started).toBeLessThan(2_000)
        const changes = yield* LeaderDetector.leaderChanges(c.zk, path).pipe(Stream.runHead)
        expect(Option.flatMap(changes, (l) => l).pipe(Option.map((l) => l.id))).toEqual(Option.some("c"))
        yield* Scope.close(c.scope, Exit.void)
      })
    )

    it.live("a leader whose session expires during a partition stops leading at once, then campaigns again", () =>
      Effect.gen(function* () {
        const path = `/election-expiry-${process.pid}-${Date.now()}`
        const a = yield* candidate(path, "a", 1_000)
        yield* leads(a.election, true)
        // freeze the only server: no answer reaches the client, which must decide on its own
        pauseZooKeeperServer(server())
        const frozenAt = Date.now()
        const stopped = yield* leads(a.election, false, "5 seconds").pipe(
          Effect.ensuring(Effect.sync(() => resumeZooKeeperServer(server())))
        )
        const after = Date.now() - frozenAt
        expect(Option.isSome(stopped)).toBe(true)
        // the session timeout is 1 s: leadership ends within it (plus the tracker's tick), not at reconnection
        expect(after).toBeLessThan(1_600)
        // with the server back, the client starts a new session and the candidate leads again
        yield* leads(a.election, true, "10 seconds")
        yield* Scope.close(a.scope, Exit.void)
      })
    )

    it("a master whose session expires stops acting as leader at once: its API answers NotLeader", async () => {
      const master = await createMaster({
        host: "127.0.0.1",
        port: 0,
        zookeeper: {
          connectString: server().connectString,
          root: `/master-expiry-${process.pid}`,
          sessionTimeoutMs: 1_000
        }
      })
      try {
        const deadline = Date.now() + 10_000
        while (!(await master.isLeader()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
        expect((await fetch(`${master.url}/api/v1/agents`)).status).toBe(200)
        pauseZooKeeperServer(server())
        const frozenAt = Date.now()
        try {
          while ((await master.isLeader()) && Date.now() - frozenAt < 5_000) await new Promise((r) => setTimeout(r, 20))
          expect(Date.now() - frozenAt).toBeLessThan(1_600)
          const answer = await fetch(`${master.url}/api/v1/agents`)
          expect(answer.status).toBe(421)
          expect(await answer.json()).toMatchObject({ error: "NotLeader" })
          expect(await (await fetch(`${master.url}/metrics`)).text()).toMatch(/^orchestrator_master_leader 0$/m)
        } finally {
          resumeZooKeeperServer(server())
        }
      } finally {
        await master.stop()
      }
    })
  }
)
