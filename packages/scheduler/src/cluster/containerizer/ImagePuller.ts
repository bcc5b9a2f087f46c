/**
 * Pulling task images: before a container is created the containerizer makes sure its image is on the engine,
 * pulling it when it is missing (or always, when the task asks for `forcePullImage`). Concurrent launches of one
 * image share one pull.
 *
 * @since 0.1.0
 */
import type { DockerClient, DockerError } from "@orchestrator/core/docker"
import { Deferred, Effect, Schema, Scope } from "effect"

/**
 * An image could not be pulled: `image` names it, `reason` is the engine's or the registry's words.
 *
 * @since 0.1.0
 * @category errors
 */
export class ImagePullError extends Schema.TaggedError<ImagePullError>()("ImagePullError", {
  image: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `cannot pull image ${this.image}: ${this.reason}`
  }
}

/**
 * Makes sure images are on the engine.
 *
 * @since 0.1.0
 * @category models
 */
export interface ImagePuller {
  /** Pulls `image` when the engine does not have it, or always with `force`; fails naming the image. */
  readonly ensure: (image: string, force: boolean) => Effect.Effect<void, ImagePullError>
}

/**
 * Options for {@link make}.
 *
 * @since 0.1.0
 * @category models
 */
export interface ImagePullerOptions {
  /** The most one pull may take; default 300,000 ms (5 minutes). */
  readonly timeoutMs?: number
}

interface ProgressEvent {
  readonly error?: string
  readonly errorDetail?: { readonly message?: string }
}

/** `name` with the default tag when it has none (`busybox` -> `busybox:latest`), so each pull gets one key. */
const normalized = (image: string): string => {
  if (image.includes("@")) return image
  const lastSlash = image.lastIndexOf("/")
  return image.slice(lastSlash + 1).includes(":") ? image : `${image}:latest`
}

/**
 * A puller over the shared Docker client; pulls run in the caller's scope (the containerizer's), so a launch
 * interrupted while waiting does not cancel the pull other launches wait for.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fn("ImagePuller.make")(function* (
  docker: DockerClient["Service"],
  options: ImagePullerOptions = {}
) {
  const scope = yield* Scope.Scope
  const timeoutMs = options.timeoutMs ?? 300_000
  const inFlight = new Map<string, Deferred.Deferred<void, ImagePullError>>()

  const failure =
    (image: string) =>
    (error: DockerError): ImagePullError =>
      new ImagePullError({ image, reason: error.reason })

  const present = (image: string) =>
    docker
      .use("inspectImage", (d) => d.getImage(image).inspect())
      .pipe(
        Effect.as(true),
        Effect.catchIf(
          (error) => error.statusCode === 404,
          () => Effect.succeed(false)
        ),
        Effect.mapError(failure(image))
      )

  const pull = (image: string): Effect.Effect<void, ImagePullError> =>
    docker
      .use("pullImage", async (d, signal) => {
        const stream: NodeJS.ReadableStream = await d.pull(image, { abortSignal: signal })
        signal.addEventListener("abort", () => (stream as { destroy?: () => void }).destroy?.(), { once: true })
        await new Promise<void>((resolve, reject) => {
          d.modem.followProgress(stream, (done: Error | null, events: ReadonlyArray<ProgressEvent>) => {
            if (done !== null) return reject(done)
            // the engine reports a failed pull (unknown manifest, unreachable registry) as a progress event
            const failed = events.find((event) => event.error !== undefined)
            if (failed !== undefined) return reject(new Error(failed.errorDetail?.message ?? failed.error))
            resolve()
          })
        })
      })
      .pipe(
        Effect.mapError(failure(image)),
        Effect.timeoutOrElse({
          duration: timeoutMs,
          orElse: () => Effect.fail(new ImagePullError({ image, reason: `no pull finished in ${timeoutMs} ms` }))
        }),
        Effect.withSpan("ImagePuller.pull", { attributes: { image } })
      )

  /** Joins the pull of `image` under way, or starts one (in the puller's scope). */
  const shared = (image: string) =>
    Effect.gen(function* () {
      const key = normalized(image)
      const running = inFlight.get(key)
      if (running !== undefined) return yield* Deferred.await(running)
      const done = yield* Deferred.make<void, ImagePullError>()
      inFlight.set(key, done)
      yield* pull(image).pipe(
        Effect.exit,
        Effect.flatMap((exit) => Deferred.done(done, exit)),
        Effect.ensuring(Effect.sync(() => inFlight.delete(key))),
        Effect.forkIn(scope)
      )
      return yield* Deferred.await(done)
    })

  const ensure = (image: string, force: boolean): Effect.Effect<void, ImagePullError> =>
    force ? shared(image) : present(image).pipe(Effect.flatMap((found) => (found ? Effect.void : shared(image))))

  return { ensure } satisfies ImagePuller
})
