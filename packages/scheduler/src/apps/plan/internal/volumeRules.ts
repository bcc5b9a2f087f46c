/**
 * The bind-mount rules of one app, as `[field, reason]` pairs: two volumes cannot mount at one container path, and a
 * volume cannot mount where a secret file is written (Docker refuses a duplicate mount point when the container is
 * created, so the app would be accepted and then never launch).
 *
 * @internal
 */
import type { AppDefinition } from "../../model/AppDefinition.js"

/** Volumes at the same container path, or at a secret file's path. */
export const volumeProblems = (app: AppDefinition): ReadonlyArray<readonly [string, string]> => {
  const problems: Array<readonly [string, string]> = []
  const seen = new Map<string, number>()
  for (const [i, volume] of app.container.volumes.entries()) {
    const first = seen.get(volume.containerPath)
    if (first !== undefined)
      problems.push([
        `container.volumes[${i}].containerPath`,
        `${volume.containerPath} is already the mount point of container.volumes[${first}]`
      ])
    else seen.set(volume.containerPath, i)
  }
  for (const [i, file] of app.secretFiles.entries()) {
    const volume = seen.get(file.containerPath)
    if (volume !== undefined)
      problems.push([
        `secretFiles[${i}].containerPath`,
        `${file.containerPath} is the mount point of container.volumes[${volume}]; write the secret file elsewhere`
      ])
  }
  return problems
}
