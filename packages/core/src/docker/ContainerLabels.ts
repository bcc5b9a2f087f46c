/**
 * Docker labels that other parts of Orchestrator read off containers they did not create: the contract between
 * the scheduler's agent (which labels the containers it starts) and the probe (which reports containers).
 *
 * @since 0.1.0
 */

/**
 * A container label listing, comma-separated, the names of environment variables whose values are secrets (the
 * scheduler sets it on tasks whose `env` references a secret). Reporters of container environments (the probe)
 * must never show those variables' values, whatever the names look like. The label holds names only.
 *
 * ```ts
 * labels: { [secretEnvLabel]: "DB_PASSWORD,TOKEN" }
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const secretEnvLabel = "orchestrator.secret-env"

/**
 * The environment variable names a container's {@link secretEnvLabel} lists (empty when it has none).
 *
 * @since 0.1.0
 * @category utils
 */
export const secretEnvNames = (labels: Readonly<Record<string, string>> | undefined): ReadonlySet<string> => {
  const value = labels?.[secretEnvLabel]
  if (value === undefined || value === "") return new Set()
  return new Set(
    value
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name !== "")
  )
}
