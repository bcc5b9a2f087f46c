/** `{{args.name}}` substitution over a metric's fields (internal). */

const placeholder = /\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}/g

/** Replaces placeholders in every string of `value`; collects the names it could not resolve. */
export const substitute = (value: unknown, args: ReadonlyMap<string, string>, missing: Set<string>): unknown => {
  if (typeof value === "string") {
    return value.replace(placeholder, (whole, name: string) => {
      const resolved = args.get(name)
      if (resolved === undefined) {
        missing.add(name)
        return whole
      }
      return resolved
    })
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, args, missing))
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = substitute(v, args, missing)
    return out
  }
  return value
}

/** Replaces every secret value in `text` with `*****`. */
export const redact = (text: string, secrets: ReadonlyArray<string>): string => {
  let out = text
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join("*****")
  return out
}
