/**
 * Sequential counter padding. ZooKeeper names a sequential child after its parent's internal child counter,
 * which counts child *creates*; the `cversion` a client sees is that counter times two minus the number of
 * children (creates plus deletes, `DataNode.copyStat`). To make the target hand out the same next suffix as
 * the source, the target parent's counter is raised with create+delete pairs of a scratch child (each pair
 * one step), many pairs per transaction.
 *
 * @internal
 */
import { Op } from "@orchestrator/core/zookeeper"

/** The scratch child created and deleted to raise a parent's cversion. */
export const padName = "zk-migrate-pad"

/** The next sequential suffix a parent hands out, from the `cversion` and `numChildren` a client sees. */
export const sequenceCounter = (stat: { readonly cversion: number; readonly numChildren: number }): number =>
  (stat.cversion + stat.numChildren) / 2

/** The steps (create+delete pairs) that bring the target's counter up to the source's. */
export const paddingSteps = (sourceCounter: number, targetCounter: number): number =>
  Math.max(0, sourceCounter - targetCounter)

/** The create+delete pairs for `steps`, as transactions of at most `pairsPerBatch` pairs. */
export const paddingBatches = (
  parent: string,
  steps: number,
  pairsPerBatch: number
): ReadonlyArray<ReadonlyArray<Op.Op>> => {
  const scratch = parent === "/" ? `/${padName}` : `${parent}/${padName}`
  const out: Array<Array<Op.Op>> = []
  let pairs = steps
  while (pairs > 0) {
    const count = Math.min(pairs, pairsPerBatch)
    const ops: Array<Op.Op> = []
    for (let i = 0; i < count; i++) ops.push(Op.create(scratch), Op.remove(scratch))
    out.push(ops)
    pairs -= count
  }
  return out
}
