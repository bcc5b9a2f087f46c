/**
 * The example master host's layer (`AppsConfig.layer`) built in the test process: `withMasterHost` runs `f` with
 * the base URL once its app scheduler is elected, and closes everything after.
 */
import { Flags } from "@orchestrator/core"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import { expect } from "vitest"
import * as AppsConfig from "../../src/apps/config/AppsConfig.js"
import { Master } from "../../src/cluster/index.js"

/** Builds the host of `config` (a parse result that must be a configuration), runs `f` on its URL, closes it. */
export const withMasterHost = async <A>(
  config: ReturnType<typeof AppsConfig.fromArgs>,
  f: (base: string) => Promise<A>
): Promise<A> => {
  if (config instanceof Flags.ConfigError || "_tag" in config) throw new Error(String(config))
  const scope = Effect.runSync(Scope.make())
  try {
    const master = await Effect.runPromise(
      Layer.buildWithScope(AppsConfig.layer(config), scope).pipe(Effect.map((context) => Context.get(context, Master)))
    )
    const base = `http://127.0.0.1:${master.port}`
    await expect
      .poll(async () => ((await (await fetch(`${base}/v2/info`)).json()) as { elected?: boolean }).elected, {
        timeout: 20_000
      })
      .toBe(true)
    return await f(base)
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
}
