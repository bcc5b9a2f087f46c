import type { IncomingMessage } from "node:http"
import { Schema } from "effect"
import { formatDecodeFailure } from "../../schemaError.js"
import type { AppContext } from "../AppContext.js"
import { parseJson, readBody } from "../Body.js"
import { HttpError } from "../HttpError.js"

/** Reads, parses and decodes a JSON body; each failure is a 4xx naming what was wrong. */
export const decodeBody = async <S extends Schema.Decoder<unknown>>(
  app: AppContext,
  req: IncomingMessage,
  schema: S
): Promise<S["Type"]> => {
  const body = await readBody(req, app.config.maxBodyBytes, app.config.bodyTimeoutMs)
  return decodeValue(schema, parseJson(body))
}

/** Decodes a parsed value, answering 422 with the field path on failure. */
export const decodeValue = <S extends Schema.Decoder<unknown>>(schema: S, value: unknown): S["Type"] => {
  const exit = Schema.decodeUnknownExit(schema)(value)
  if (exit._tag === "Failure") {
    throw new HttpError(422, "invalid_body", formatDecodeFailure(exit))
  }
  return exit.value
}
