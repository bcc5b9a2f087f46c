// A consumer of @orchestrator/scheduler/allocator: the DRF paper's example through the public API (the pure
// allocator, frameworks launching one task per offer), then the Promise facade offering an agent's resources.
import { createAllocator, DrfAllocator, type Offer, Resources } from "@orchestrator/scheduler/allocator"

const check = (condition: boolean, what: string): void => {
  if (!condition) throw new Error(`consumer check failed: ${what}`)
  console.log(`ok - ${what}`)
}

const unwrap = <A>(
  result: { readonly _tag: "Success"; readonly success: A } | { readonly _tag: "Failure"; readonly failure: unknown }
): A => {
  if (result._tag === "Failure") throw new Error(`consumer check failed: ${String(result.failure)}`)
  return result.success
}

const res = (text: string): Resources.Resources => unwrap(Resources.parse(text))

const allocator = unwrap(DrfAllocator.make())
unwrap(allocator.addAgent("s1", { total: res("cpus:9;mem:18432") }))
unwrap(allocator.addFramework("A"))
unwrap(allocator.addFramework("B"))
const tasks: Record<string, Resources.Resources> = { A: res("cpus:1;mem:4096"), B: res("cpus:3;mem:1024") }
const launched: Record<string, number> = { A: 0, B: 0 }
for (let now = 0; now < 100; now++) {
  const offers = allocator.allocate(now)
  if (offers.length === 0) break
  for (const offer of offers) {
    const task = tasks[offer.frameworkId]!
    if (offer.resources.contains(task)) {
      launched[offer.frameworkId]!++
      const rest = offer.resources.subtract(task)
      if (!rest.isEmpty()) unwrap(allocator.recoverResources({ ...offer, resources: rest }))
    } else unwrap(allocator.recoverResources(offer, { now, refuseSeconds: 3600 }))
  }
}
check(launched.A === 3 && launched.B === 2, "the DRF paper's example: A runs 3 tasks, B 2")
const shares = allocator.shares()[0]!.frameworks.map((f) => f.share)
check(
  shares.every((s) => Math.abs(s - 2 / 3) < 1e-9),
  "both dominant shares are 2/3"
)
const bad = Resources.parse("cpus:-1")
check(bad._tag === "Failure" && bad.failure._tag === "InvalidResources", "negative resources are a typed error")

const running = await createAllocator({ allocationIntervalMs: 50 })
try {
  const offered = new Promise<ReadonlyArray<Offer>>((resolve) => running.once("offers", resolve))
  await running.addFramework("web", { roles: ["eng/web"] })
  await running.addAgent("a1", { total: res("cpus:4;mem:4096;ports:[31000-32000]") })
  const offers = await offered
  check(
    offers.length === 1 &&
      offers[0]!.role === "eng/web" &&
      offers[0]!.resources.toString() === "cpus:4;mem:4096;ports:[31000-32000]",
    "the Promise facade offers the agent's resources to the framework"
  )
} finally {
  await running.stop()
}
console.log("consumer scheduler-allocator: all checks passed")
