/**
 * The search syntax as the help under the search box explains it. The app server parses and applies queries
 * (`Search` in `@orchestrator/core`); this is only the reference a user reads, kept next to the UI that shows it.
 */

/** One form of the query language, with examples a click puts in the search box. */
export interface SyntaxForm {
  readonly form: string
  readonly meaning: string
  readonly examples: ReadonlyArray<string>
}

/** The forms, simplest first. */
export const syntaxForms: ReadonlyArray<SyntaxForm> = [
  {
    form: "word",
    meaning: "text anywhere: name, id, any field, label or address (case-insensitive)",
    examples: ["busybox", "10.0.0"]
  },
  { form: '"a phrase"', meaning: "text with spaces", examples: ['"sleep 3600"'] },
  {
    form: "key:value",
    meaning: "a field, label or parent containing the value; label: is the name shown",
    examples: ["label:web", "docker_image_name:nginx", "hosts:node-1"]
  },
  { form: "key:*", meaning: "the node has that field or label", examples: ["docker_image_name:*"] },
  {
    form: "key=value  key!=value",
    meaning: "exactly that value (!= also matches nodes without the key)",
    examples: ["docker_container_state=running"]
  },
  {
    form: "metric > n",
    meaning: "compare a metric or a number field: > >= < <= = !=, units % B KB MB GB KiB MiB GiB",
    examples: ["cpu > 50%", "memory > 200MB", "pid < 100"]
  },
  { form: "a OR b", meaning: "either side (OR in capitals; spaces mean AND)", examples: ["label:web OR label:db"] },
  { form: "( … )", meaning: "grouping", examples: ["(label:web OR label:db) cpu > 1%"] }
]
