/**
 * The bind-mount rules of one app, as `[field, reason]` pairs: two volumes cannot mount at one container path, and a
 * volume cannot mount where a secret file is written (Docker refuses a duplicate mount point when the container is
 * created, so the app would be accepted and then never launch).
 *
 * @internal
 */
import type { AppDefinition } from "../../model/AppDefinition.js"
import { duplicateOf } from "./duplicates.js"

/** Volumes at the same container path, or at a secret file's path. */
export const volumeProblems = (app: AppDefinition): ReadonlyArray<readonly [string, string]> => {
  const volumes = app.container.volumes
  const problems: Array<readonly [string, string]> = duplicateOf(volumes, (v) => v.containerPath).map((d) => [
    `container.volumes[${d.index}].containerPath`,
    `${d.key} is already the mount point of container.volumes[${d.first}]`
  ])
  for (const [i, file] of app.secretFiles.entries()) {
    const volume = volumes.findIndex((v) => v.containerPath === file.containerPath)
    if (volume >= 0)
      problems.push([
        `secretFiles[${i}].containerPath`,
        `${file.containerPath} is the mount point of container.volumes[${volume}]; write the secret file elsewhere`
      ])
  }
  return problems
}
