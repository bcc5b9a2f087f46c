// A consumer of @orchestrator/scheduler/cluster's Promise facade: start a master on a free port, register an
// agent with declared resources through the REST API (as the agent host does), read /health, and see a
// framework get an offer of the agent's resources.
import { createMaster } from "@orchestrator/scheduler/cluster"

const check = (condition: boolean, what: string): void => {
  if (!condition) throw new Error(`consumer check failed: ${what}`)
  console.log(`ok - ${what}`)
}

// biome-ignore lint/suspicious/noExplicitAny: the checks read JSON answers directly
const json = async (method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> => {
  const response = await fetch(url, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } })
  })
  return { status: response.status, body: await response.json() }
}

const master = await createMaster({ host: "127.0.0.1", port: 0, allocationIntervalMs: 50 })
try {
  const health = await json("GET", `${master.url}/health`)
  check(health.status === 200 && health.body.leading === true, "a single master leads and answers /health")
  check(await master.isLeader(), "the facade reports leadership")

  const registration = {
    agentId: "consumer-agent",
    hostname: "consumer-host",
    url: "http://127.0.0.1:5051",
    attributes: { rack: "r1" },
    resources: { cpus: 4, mem: 4096, ports: [{ begin: 31000, end: 31010 }] },
    tasks: []
  }
  const registered = await json("POST", `${master.url}/api/v1/agents`, registration)
  check(registered.status === 200 && registered.body.resources.cpus === 4, "an agent registers declared resources")

  const bad = await json("POST", `${master.url}/api/v1/agents`, {
    ...registration,
    agentId: "bad",
    resources: { cpus: -1 }
  })
  check(bad.status === 400 && /resources\.cpus/.test(bad.body.message), "invalid resources are refused with 400")

  const framework = await json("POST", `${master.url}/api/v1/frameworks`, { name: "consumer", role: "web" })
  const offers = await json("GET", `${master.url}/api/v1/frameworks/${framework.body.frameworkId}/offers?wait=5000`)
  check(
    offers.status === 200 && offers.body.length === 1 && offers.body[0].hostname === "consumer-host",
    "a framework gets an offer of the agent's resources"
  )
} finally {
  await master.stop()
}
console.log("consumer: scheduler cluster checks passed")
