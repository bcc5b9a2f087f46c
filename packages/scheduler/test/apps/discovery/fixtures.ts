/**
 * Endpoints as the app scheduler passes them to the registry, for the discovery tests.
 */
import type { ServiceEndpoint } from "../../../src/apps/discovery/index.js"

/** An endpoint of `/prod/web` (override `appId` and `name` for another app); port index 0 is `http`, others `admin`. */
export const endpoint = (
  taskId: string,
  portIndex: number,
  port: number,
  extra: Partial<ServiceEndpoint> = {}
): ServiceEndpoint => ({
  appId: "/prod/web",
  name: "web.prod.orchestrator",
  taskId,
  agentId: "agent-1",
  host: "10.0.0.1",
  port,
  portIndex,
  ...(portIndex === 0 ? { portName: "http" } : { portName: "admin" }),
  version: "v1",
  ...extra
})
