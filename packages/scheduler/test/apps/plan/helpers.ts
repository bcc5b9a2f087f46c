import { Effect, Schema } from "effect"
import { AppDefinition, Group, type GroupEncoded } from "../../../src/apps/model/AppDefinition.js"

/** Decodes an app (Marathon JSON, defaults filled); `id` and the image have defaults here. */
export const app = (input: Record<string, unknown> = {}): AppDefinition =>
  Schema.decodeUnknownSync(AppDefinition)({ id: "/web", container: { docker: { image: "busybox" } }, ...input })

/** An app with `count` port mappings (container ports 8080...). */
export const withPorts = (count: number, input: Record<string, unknown> = {}): AppDefinition =>
  app({
    container: {
      docker: { image: "busybox" },
      portMappings: Array.from({ length: count }, (_, i) => ({ containerPort: 8080 + i, name: `p${i}` }))
    },
    ...input
  })

export const group = (input: GroupEncoded): Group => Schema.decodeUnknownSync(Group)(input)

/** The error of a failing Effect (fails the test when it succeeds). */
export const failure = <A, E>(effect: Effect.Effect<A, E>): E => Effect.runSync(Effect.flip(effect))
