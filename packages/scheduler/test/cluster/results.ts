/** Unwrapping `Result`s in tests: the success (or the failure) or an error saying which was expected. */
import { Result } from "effect"

/** The success of `result`; throws naming the failure otherwise. */
export const ok = <A, E>(result: Result.Result<A, E>): A => {
  if (Result.isFailure(result)) throw new Error(`expected success, got ${String(result.failure)}`)
  return result.success
}

/** The failure of `result`; throws when it succeeded. */
export const failure = <A, E>(result: Result.Result<A, E>): E => {
  if (Result.isSuccess(result)) throw new Error("expected a failure")
  return result.failure
}
