/** The public types and errors of the go-bexpr port (./index.ts re-exports them). */

/** The filter does not parse. The message is go-bexpr's (pigeon's error list, one error per line). */
export class FilterSyntaxError extends Error {
  override name = "FilterSyntaxError";
  /** Byte offset, line and column (pigeon's counting) of the first error. */
  readonly offset: number;
  readonly line: number;
  readonly column: number;
  constructor(message: string, at: { offset: number; line: number; column: number } = { offset: 0, line: 1, column: 1 }) {
    super(message);
    this.offset = at.offset;
    this.line = at.line;
    this.column = at.column;
  }
}

/**
 * Evaluating the filter made go-bexpr panic (for example `"/item/created_time" is empty`: reflect's
 * `Len` on a struct). The controller's recovery interceptor turns that into a 500 (gRPC Internal) whose
 * message is the panic text, which is this error's message.
 */
export class FilterPanicError extends Error {
  override name = "FilterPanicError";
}

export type FilterPredicate = (item: unknown) => boolean;

/** Go numeric kinds a `number` field can have; they decide how a literal is coerced. */
export type NumberType = "int32" | "int64" | "uint32" | "uint64" | "float32" | "float64";

/**
 * The Go type behind one JSON field of a resource, as the filter sees it (after Boundary's hook, which
 * unwraps `google.protobuf` wrappers, turns `Struct` into a map and `Timestamp` into `time.Time`).
 */
export type FieldType =
  /** `string`, or a `StringValue` wrapper (a nil wrapper reads as ""). */
  | { readonly kind: "string" }
  | { readonly kind: "bool" }
  /** Default `float64` (plain JSON). int64/uint64 values may arrive as JSON strings. */
  | { readonly kind: "number"; readonly type?: NumberType }
  /** `bytes`, base64 in JSON; the filter sees the raw bytes. */
  | { readonly kind: "bytes" }
  /** `google.protobuf.Timestamp`: cannot be compared, matched, iterated or tested for emptiness. */
  | { readonly kind: "timestamp" }
  /** `repeated T`; absent means an empty (nil) slice. */
  | { readonly kind: "array"; readonly items: FieldType }
  /** A nested message (pointer); absent means nil, and descending into nil is an error. */
  | { readonly kind: "object"; readonly fields: FieldSchema }
  /** `map<string, T>`; absent means empty; a missing key is "not present" rather than an error. */
  | { readonly kind: "map"; readonly values: FieldType }
  /** `google.protobuf.Struct`: a `map[string]any` of decoded JSON; absent means empty. */
  | { readonly kind: "struct" }
  /** `google.protobuf.ListValue`: the hook leaves it a message whose only field is `values`. */
  | { readonly kind: "listValue" }
  /** Any decoded JSON value (`interface{}`): objects are maps, arrays `[]any`, numbers float64. */
  | { readonly kind: "any" };

/** Field name (snake_case, as in the JSON) to type. Fields not listed do not exist. */
export type FieldSchema = { readonly [field: string]: FieldType };

export interface CompileFilterOptions {
  /**
   * The Go struct behind the item. Without it the item is treated as decoded JSON (`map[string]any`):
   * a missing key is then "not present" instead of a zero value or an error, and numbers are float64.
   */
  knownFields?: FieldSchema;
  /**
   * What a go-bexpr panic does: "throw" (default) throws {@link FilterPanicError} from the predicate,
   * as the controller fails the whole request; "no-match" makes the item a non-match.
   */
  onPanic?: "throw" | "no-match";
}
