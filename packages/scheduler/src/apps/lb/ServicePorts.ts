/**
 * The table of load-balanced service ports as a service: free ports are assigned from a range (10000-10100
 * by default, as marathon-lb), explicit ones are reserved, and a port held by another owner or an exhausted
 * range is a typed error. Owners are free-form keys such as `"/prod/web#0"` (app id and port index).
 *
 * ```ts
 * const ports = yield* ServicePorts
 * const web = yield* ports.assign("/prod/web#0") // 10000
 * yield* ports.reserve(10050, "/prod/db#0")
 * yield* ports.releaseOwner("/prod/web#0")
 * ```
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Ref, Result } from "effect"
import type { InvalidLbInput, PortConflict, PortError, PortsExhausted } from "./LbError.js"
import * as PortTable from "./PortTable.js"

/**
 * The service-port table as a service (one per scheduler).
 *
 * @since 0.1.0
 * @category services
 */
export class ServicePorts extends Context.Service<
  ServicePorts,
  {
    /** The port `owner` holds in the range, or the lowest free one. */
    readonly assign: (owner: string) => Effect.Effect<number, PortsExhausted>
    /** Reserves an explicit port. */
    readonly reserve: (port: number, owner: string) => Effect.Effect<void, PortConflict | InvalidLbInput>
    /** Frees every port of `owner`. */
    readonly releaseOwner: (owner: string) => Effect.Effect<void>
    /** Frees one port. */
    readonly release: (port: number) => Effect.Effect<void>
    /** Port -> owner. */
    readonly assigned: Effect.Effect<ReadonlyMap<number, string>>
  }
>()("@orchestrator/scheduler/apps/lb/ServicePorts") {
  /**
   * A fresh table over `range` (default 10000-10100).
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer = (
    range: PortTable.PortRange = PortTable.defaultRange
  ): Layer.Layer<ServicePorts, InvalidLbInput> => Layer.effect(ServicePorts, makeServicePorts(range))
}

/**
 * Builds the service over a fresh table.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeServicePorts = (
  range: PortTable.PortRange = PortTable.defaultRange
): Effect.Effect<ServicePorts["Service"], InvalidLbInput> =>
  Effect.gen(function* () {
    const ref = yield* Ref.make(
      yield* Result.match(PortTable.empty(range), { onSuccess: Effect.succeed, onFailure: Effect.fail })
    )
    const run = <A, E extends PortError>(f: (t: PortTable.PortTable) => Result.Result<[A, PortTable.PortTable], E>) =>
      Effect.flatten(
        Ref.modify(ref, (table): [Effect.Effect<A, E>, PortTable.PortTable] => {
          const result = f(table)
          return Result.isSuccess(result)
            ? [Effect.succeed(result.success[0]), result.success[1]]
            : [Effect.fail(result.failure), table]
        })
      )
    return ServicePorts.of({
      assign: (owner) => run((t) => PortTable.assign(t, owner)),
      reserve: (port, owner) =>
        run((t) =>
          Result.map(PortTable.reserve(t, port, owner), (next): [undefined, PortTable.PortTable] => [undefined, next])
        ),
      releaseOwner: (owner) => Ref.update(ref, (t) => PortTable.releaseOwner(t, owner)),
      release: (port) => Ref.update(ref, (t) => PortTable.release(t, port)),
      assigned: Effect.map(Ref.get(ref), (t) => t.owners)
    })
  })
