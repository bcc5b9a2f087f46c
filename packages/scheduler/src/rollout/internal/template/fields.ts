/** Reading untrusted template fields with errors that name the metric and the field (internal). */
import { TemplateError } from "../../RolloutError.js"
import { parseDuration } from "./duration.js"

/** Thrown inside the template reader, turned into a `TemplateError` at the module boundary. */
export class FieldFailure {
  constructor(readonly error: TemplateError) {}
}

/** A reader of one object at a path (`provider.web`), for one metric (or the template itself). */
export interface Fields {
  readonly raw: Record<string, unknown>
  readonly fail: (field: string, reason: string) => never
  readonly has: (field: string) => boolean
  readonly string: (field: string) => string | undefined
  readonly requiredString: (field: string) => string
  readonly int: (field: string, min: number) => number | undefined
  readonly duration: (field: string) => number | undefined
  readonly bool: (field: string) => boolean | undefined
  readonly object: (field: string) => Fields | undefined
  readonly array: (field: string) => ReadonlyArray<unknown> | undefined
}

const describe = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : JSON.stringify(v)

/** A reader of `raw` (which must be an object) at `path` for `metric`. */
export const fields = (raw: unknown, path: string, metric: string | undefined): Fields => {
  const at = (field: string) => (path === "" ? field : field === "" ? path : `${path}.${field}`)
  const fail = (field: string, reason: string): never => {
    throw new FieldFailure(
      new TemplateError(metric === undefined ? { field: at(field), reason } : { metric, field: at(field), reason })
    )
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new FieldFailure(
      new TemplateError({
        ...(metric === undefined ? {} : { metric }),
        field: path || "spec",
        reason: `must be an object, got ${describe(raw)}`
      })
    )
  }
  const obj = raw as Record<string, unknown>
  const self: Fields = {
    raw: obj,
    fail,
    has: (field) => obj[field] !== undefined && obj[field] !== null,
    string: (field) => {
      const v = obj[field]
      if (v === undefined || v === null) return undefined
      if (typeof v === "string") return v
      if (typeof v === "number" || typeof v === "boolean") return String(v)
      return fail(field, `must be a string, got ${describe(v)}`)
    },
    requiredString: (field) => {
      const v = self.string(field)
      if (v === undefined || v.trim() === "") return fail(field, "is required")
      return v
    },
    int: (field, min) => {
      const v = obj[field]
      if (v === undefined || v === null) return undefined
      const n = typeof v === "number" ? v : typeof v === "string" && /^\s*-?\d+\s*$/.test(v) ? Number(v) : NaN
      if (!Number.isInteger(n)) return fail(field, `must be an integer, got ${describe(v)}`)
      if (n < min) return fail(field, `must be >= ${min}, got ${n}`)
      return n
    },
    duration: (field) => {
      const v = self.string(field)
      if (v === undefined || v === "") return undefined
      const ms = parseDuration(v)
      if (ms === undefined || ms < 0)
        return fail(field, `must be a duration such as "30s" or "1m", got ${JSON.stringify(v)}`)
      return ms
    },
    bool: (field) => {
      const v = obj[field]
      if (v === undefined || v === null) return undefined
      if (typeof v === "boolean") return v
      if (v === "true" || v === "false") return v === "true"
      return fail(field, `must be true or false, got ${describe(v)}`)
    },
    object: (field) => (self.has(field) ? fields(obj[field], at(field), metric) : undefined),
    array: (field) => {
      const v = obj[field]
      if (v === undefined || v === null) return undefined
      if (!Array.isArray(v)) return fail(field, `must be a list, got ${describe(v)}`)
      return v
    }
  }
  return self
}
