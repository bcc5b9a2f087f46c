import { Cause, type Exit } from "effect"

/** A one-line message for a failed decode: what was wrong and at which field path. */
export const formatDecodeFailure = (exit: Exit.Failure<unknown, unknown>): string => {
  const error = Cause.squash(exit.cause)
  const text = error instanceof Error ? error.message : String(error)
  return text.replace(/\s*\n\s*/g, " ")
}
