import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { AppDefinition } from "../../../src/apps/model/AppDefinition.js"
import { appProblems } from "../../../src/apps/plan/validate.js"
import { TaskSpec } from "../../../src/cluster/Task.js"

const withVolumes = (volumes: ReadonlyArray<Record<string, unknown>>, extra: Record<string, unknown> = {}) => ({
  id: "/v",
  container: { docker: { image: "busybox" }, volumes },
  ...extra
})

const refusal = (input: unknown): string => String(Schema.decodeUnknownExit(AppDefinition)(input))

describe("container.volumes", () => {
  it("refuses every path the agent's task spec would refuse, naming the field: what is accepted also launches", () => {
    for (const bad of ["/", "/srv/data/", "/srv//data", "/srv/./data", "relative", "/data:ro", "/a,b"]) {
      expect(refusal(withVolumes([{ containerPath: bad, hostPath: "/srv", mode: "RO" }]))).toMatch(/containerPath/)
      expect(refusal(withVolumes([{ containerPath: "/data", hostPath: bad, mode: "RO" }]))).toMatch(/hostPath/)
      expect(
        Schema.decodeUnknownExit(TaskSpec)({
          taskId: "t",
          image: "busybox",
          resources: { cpus: 1 },
          volumes: [{ containerPath: bad, hostPath: "/srv", mode: "RO" }]
        })._tag
      ).toBe("Failure")
    }
    const ok = Schema.decodeUnknownSync(AppDefinition)(
      withVolumes([{ containerPath: "/data", hostPath: "/srv/data", mode: "RW" }])
    )
    expect(ok.container.volumes).toEqual([{ containerPath: "/data", hostPath: "/srv/data", mode: "RW" }])
  })

  it("refuses two volumes at one mount point, and a secret file where a volume is mounted", () => {
    const app = Schema.decodeUnknownSync(AppDefinition)(
      withVolumes(
        [
          { containerPath: "/data", hostPath: "/srv/a", mode: "RO" },
          { containerPath: "/data", hostPath: "/srv/b", mode: "RW" },
          { containerPath: "/run/secrets/db", hostPath: "/srv/c", mode: "RO" }
        ],
        { secrets: { db: { file: "/etc/db" } }, secretFiles: [{ secret: "db", containerPath: "/run/secrets/db" }] }
      )
    )
    expect(appProblems(app).map((p) => [p.field, p.reason])).toEqual([
      ["container.volumes[1].containerPath", "/data is already the mount point of container.volumes[0]"],
      [
        "secretFiles[0].containerPath",
        "/run/secrets/db is the mount point of container.volumes[2]; write the secret file elsewhere"
      ]
    ])
  })
})
