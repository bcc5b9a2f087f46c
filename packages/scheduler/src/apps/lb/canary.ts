/**
 * Canary traffic splits for the rollout driver: a `WeightSetter` that sends `weight`% of a service port's new
 * traffic to the backends `isCanary` picks and the rest to the others, whatever backends come and go later.
 *
 * ```ts
 * const setter = canaryWeights(lb, 10000, (b) => b.id.startsWith("web-v2"))
 * const canary = yield* Canary.start({ steps: [{ setWeight: 20 }, { pause: {} }] }, setter)
 * ```
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { WeightSetter } from "../../rollout/Canary.js"
import { WeightError } from "../../rollout/RolloutError.js"
import type { Backend, Weighting } from "./Backend.js"
import type { LoadBalancerShape } from "./LoadBalancer.js"

/**
 * A weighting giving the canary backends `weight`% of the traffic in total (shared by their own weights) and
 * the others the rest. With no canary or no stable backend (or all of one side at weight 0), the backends'
 * own weights apply.
 *
 * @since 0.1.0
 * @category constructors
 */
export const split =
  (weight: number, isCanary: (backend: Backend) => boolean): Weighting =>
  (backends) => {
    const canary = backends.map(isCanary)
    let canaryTotal = 0
    let stableTotal = 0
    backends.forEach((b, i) => {
      if (canary[i]) canaryTotal += b.weight ?? 1
      else stableTotal += b.weight ?? 1
    })
    if (canaryTotal === 0 || stableTotal === 0) return backends.map(() => undefined)
    return backends.map((b, i) =>
      canary[i] ? (weight * (b.weight ?? 1)) / canaryTotal : ((100 - weight) * (b.weight ?? 1)) / stableTotal
    )
  }

/**
 * A weight setter (rollout's `Canary.WeightSetter`) over one service port of a load balancer.
 *
 * @since 0.1.0
 * @category constructors
 */
export const canaryWeights = (
  lb: Pick<LoadBalancerShape, "setWeighting">,
  servicePort: number,
  isCanary: (backend: Backend) => boolean
): WeightSetter => ({
  setWeight: (weight) =>
    Number.isFinite(weight) && weight >= 0 && weight <= 100
      ? lb
          .setWeighting(servicePort, split(weight, isCanary))
          .pipe(Effect.mapError((error) => new WeightError({ weight, reason: error.message })))
      : Effect.fail(new WeightError({ weight, reason: "the weight must be a number in 0-100" }))
})
