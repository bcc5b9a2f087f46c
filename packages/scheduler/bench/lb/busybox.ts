/**
 * The busybox httpd container of the load balancer bench, on a private dockerd, published on a free port.
 */
import Dockerode from "dockerode"
import { ensureTestImage, testImage } from "../../../../test/fixtures/dockerImage.js"
import { startPrivateDockerd } from "../../../../test/fixtures/dockerd.js"
import { freePorts } from "../../../../test/fixtures/process.js"
import { dockerProxyPid } from "./processes.js"

/** A running busybox httpd container. */
export interface Container {
  readonly publishedPort: number
  readonly ip: string
  readonly pid: number
  readonly dockerProxyPid: number | undefined
  /** Limits the container to `cpus` (a cpuset such as `0`; `0,1` undoes it). */
  readonly pinTo: (cpus: string) => Promise<void>
  readonly stop: () => Promise<void>
}

/** Starts busybox httpd in a container on a private dockerd, published on a free port. */
export const startBusybox = async (): Promise<Container> => {
  const engine = await startPrivateDockerd({ name: "lbbench" })
  try {
    await ensureTestImage(engine.socketPath)
    const docker = new Dockerode({ socketPath: engine.socketPath })
    const [port] = await freePorts(1)
    const container = await docker.createContainer({
      Image: testImage,
      Cmd: ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"],
      Labels: { "orchestrator.bench": "lb" },
      ExposedPorts: { "8080/tcp": {} },
      HostConfig: { PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: String(port) }] } }
    })
    await container.start()
    const info = await container.inspect()
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/`).then(
        (r) => r.ok,
        () => false
      )
      if (ok) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    return {
      publishedPort: port!,
      ip: (info.NetworkSettings as { IPAddress?: string }).IPAddress ?? "",
      pid: info.State.Pid,
      dockerProxyPid: dockerProxyPid(port!),
      pinTo: async (cpus) => {
        await container.update({ CpusetCpus: cpus })
      },
      stop: async () => {
        await container.remove({ force: true }).catch(() => undefined)
        await engine.stop()
      }
    }
  } catch (error) {
    await engine.stop()
    throw error
  }
}
