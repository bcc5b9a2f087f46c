/** The syntax tree of the condition language (internal). */

export type Node =
  | { readonly k: "lit"; readonly v: unknown }
  | { readonly k: "id"; readonly name: string; readonly pos: number }
  | { readonly k: "arr"; readonly items: ReadonlyArray<Node> }
  | { readonly k: "unary"; readonly op: string; readonly arg: Node }
  | { readonly k: "bin"; readonly op: string; readonly l: Node; readonly r: Node }
  | { readonly k: "cond"; readonly test: Node; readonly then: Node; readonly else: Node }
  | { readonly k: "index"; readonly obj: Node; readonly key: Node; readonly optional: boolean }
  | { readonly k: "call"; readonly name: string; readonly args: ReadonlyArray<Node>; readonly pos: number }
