/**
 * Why an app's secrets could not be resolved. The error names the app, the field of the app definition and
 * the secret, never the secret's value.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * A secret could not be resolved: `field` is the path in the app definition (`env.DB_PASSWORD`,
 * `secretFiles[0].secret`, `secrets.db.file`), `secret` the secret's name, `reason` what went wrong. No task
 * of the app is launched with missing secrets.
 *
 * @since 0.1.0
 * @category errors
 */
export class SecretError extends Schema.TaggedError<SecretError>()("SecretError", {
  appId: Schema.String,
  field: Schema.String,
  secret: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `app ${this.appId}: ${this.field}: secret ${JSON.stringify(this.secret)}: ${this.reason}`
  }
}
