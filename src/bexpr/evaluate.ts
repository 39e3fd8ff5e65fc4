/**
 * An evaluator of the go-bexpr v0.1.15 filter language, as the Boundary controller applies it to list
 * results (`handlers.NewFilter`: `bexpr.CreateEvaluator(f, WithTagName("json"),
 * WithHookFn(WellKnownTypeFilterHook))`, then `Evaluate(filterItem{Item: item})`).
 *
 * Three layers, each following the Go code it stands in for:
 * - the parser replays pigeon's PEG runtime over go-bexpr's `grammar.peg`, so what is accepted, the
 *   error text ("1:14 (13): no match found, expected: ...") and the 2,000,000-expression parse budget
 *   are the controller's;
 * - the evaluator walks the item the way `pointerstructure.Get` walks the Go struct: a known field that
 *   the JSON omits still exists with its zero value, a nil message errors on descent, a missing map key
 *   is "not present" (each operator's `NotPresentDisposition`), and any evaluation error makes the item
 *   a non-match, through `and`, `or`, `not` and `any`/`all`;
 * - `matches` translates RE2 syntax (Go `regexp.Compile`) into an equivalent JavaScript RegExp. Only
 *   whether a match exists matters, so greediness is irrelevant; case folding, `.`, `^`/`$`, `\b` and the
 *   Perl/POSIX classes are spelled out so JavaScript's own rules never apply.
 *
 * Where go-bexpr would panic (`is empty` on a number, a timestamp or a nil message; `matches` on a nil
 * message), Boundary's gRPC recovery interceptor answers 500; the predicate throws
 * {@link FilterPanicError} for that unless told otherwise.
 */

// ---------------------------------------------------------------------------------------------------
// Public surface
// ---------------------------------------------------------------------------------------------------

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

/**
 * Parse `source` once and return a predicate over items (plain JSON objects with snake_case keys).
 * The predicate evaluates the filter against `{item: <item>}`. Throws {@link FilterSyntaxError}.
 *
 * Boundary skips filtering when the parameter is the empty string; go-bexpr itself rejects "", and so
 * does this function.
 */
export function compileFilter(source: string, options: CompileFilterOptions = {}): FilterPredicate {
  const ast = parseFilter(source);
  const itemType = options.knownFields ? structType(options.knownFields) : DYN;
  const run = compileNode(ast, itemType);
  if (options.onPanic === "no-match") {
    return (item) => {
      try {
        return run(item, null) === T;
      } catch (err) {
        if (err instanceof FilterPanicError) return false;
        throw err;
      }
    };
  }
  return (item) => run(item, null) === T;
}

// ---------------------------------------------------------------------------------------------------
// Schemas of the resources the emulator filters
// ---------------------------------------------------------------------------------------------------

const STRING: FieldType = { kind: "string" };
const TIMESTAMP: FieldType = { kind: "timestamp" };
const UINT32: FieldType = { kind: "number", type: "uint32" };
const INT64: FieldType = { kind: "number", type: "int64" };

/** `resources.scopes.v1.ScopeInfo`. */
export const SCOPE_INFO_FIELDS: FieldSchema = Object.freeze({
  id: STRING,
  type: STRING,
  name: STRING,
  description: STRING,
  parent_scope_id: STRING,
});

/** `resources.sessions.v1.Session`. */
export const SESSION_FIELDS: FieldSchema = Object.freeze({
  id: STRING,
  target_id: STRING,
  scope: { kind: "object", fields: SCOPE_INFO_FIELDS },
  created_time: TIMESTAMP,
  updated_time: TIMESTAMP,
  version: UINT32,
  type: STRING,
  expiration_time: TIMESTAMP,
  auth_token_id: STRING,
  user_id: STRING,
  host_set_id: STRING,
  host_id: STRING,
  scope_id: STRING,
  endpoint: STRING,
  states: {
    kind: "array",
    items: { kind: "object", fields: { status: STRING, start_time: TIMESTAMP, end_time: TIMESTAMP } },
  },
  status: STRING,
  certificate: { kind: "bytes" },
  termination_reason: STRING,
  authorized_actions: { kind: "array", items: STRING },
  connections: {
    kind: "array",
    items: {
      kind: "object",
      fields: {
        client_tcp_address: STRING,
        client_tcp_port: UINT32,
        endpoint_tcp_address: STRING,
        endpoint_tcp_port: UINT32,
        bytes_up: INT64,
        bytes_down: INT64,
        closed_reason: STRING,
      },
    },
  },
});

/** `resources.scopes.v1.Scope` (name, description and primary_auth_method_id are StringValue wrappers). */
export const SCOPE_FIELDS: FieldSchema = Object.freeze({
  id: STRING,
  scope_id: STRING,
  scope: { kind: "object", fields: SCOPE_INFO_FIELDS },
  name: STRING,
  description: STRING,
  created_time: TIMESTAMP,
  updated_time: TIMESTAMP,
  version: UINT32,
  type: STRING,
  primary_auth_method_id: STRING,
  authorized_actions: { kind: "array", items: STRING },
  authorized_collection_actions: { kind: "map", values: { kind: "listValue" } },
});

// ---------------------------------------------------------------------------------------------------
// Go strconv, as go-bexpr's coercions and the grammar's string literals use it
// ---------------------------------------------------------------------------------------------------

/** A failed conversion; `range` tells strconv.ErrRange from strconv.ErrSyntax. */
interface ConvError {
  readonly ok: false;
  readonly range: boolean;
}
type Conv<V> = { readonly ok: true; readonly value: V } | ConvError;

const SYNTAX: ConvError = { ok: false, range: false };
const RANGE: ConvError = { ok: false, range: true };
const MAX_UINT64 = (1n << 64n) - 1n;
const INT64_CUTOFF = 1n << 63n;

function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}
function lowerByte(c: string): string {
  return c >= "A" && c <= "Z" ? String.fromCharCode(c.charCodeAt(0) | 0x20) : c;
}

/** strconv's underscoreOK: underscores only between digits (or after a base prefix). */
function underscoreOK(s: string): boolean {
  let saw = "^";
  let i = 0;
  if (s.length >= 1 && (s[0] === "-" || s[0] === "+")) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === "0" && "box".includes(lowerByte(s[1]!))) {
    i = 2;
    saw = "0";
    hex = lowerByte(s[1]!) === "x";
  }
  for (; i < s.length; i++) {
    const c = s[i]!;
    if (isDigit(c) || (hex && lowerByte(c) >= "a" && lowerByte(c) <= "f")) {
      saw = "0";
      continue;
    }
    if (c === "_") {
      if (saw !== "0") return false;
      saw = "_";
      continue;
    }
    if (saw === "_") return false;
    saw = "!";
  }
  return saw !== "_";
}

/** strconv.ParseUint(s, 0, 64). */
function parseUint64(s: string): Conv<bigint> {
  if (s === "") return SYNTAX;
  const s0 = s;
  let base = 10;
  if (s[0] === "0") {
    const p = s.length >= 3 ? lowerByte(s[1]!) : "";
    if (p === "b") [base, s] = [2, s.slice(2)];
    else if (p === "o") [base, s] = [8, s.slice(2)];
    else if (p === "x") [base, s] = [16, s.slice(2)];
    else [base, s] = [8, s.slice(1)];
  }
  const bigBase = BigInt(base);
  let n = 0n;
  let underscores = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    let d: number;
    if (c === "_") {
      underscores = true;
      continue;
    } else if (isDigit(c)) d = c.charCodeAt(0) - 48;
    else if (lowerByte(c) >= "a" && lowerByte(c) <= "z") d = lowerByte(c).charCodeAt(0) - 97 + 10;
    else return SYNTAX;
    if (d >= base) return SYNTAX;
    n = n * bigBase + BigInt(d);
    if (n > MAX_UINT64) return RANGE;
  }
  if (underscores && !underscoreOK(s0)) return SYNTAX;
  return { ok: true, value: n };
}

/** strconv.ParseInt(s, 0, 64). */
function parseInt64(s: string): Conv<bigint> {
  if (s === "") return SYNTAX;
  let neg = false;
  let t = s;
  if (s[0] === "+") t = s.slice(1);
  else if (s[0] === "-") [neg, t] = [true, s.slice(1)];
  const un = parseUint64(t);
  if (!un.ok) return un;
  if (!neg && un.value >= INT64_CUTOFF) return RANGE;
  if (neg && un.value > INT64_CUTOFF) return RANGE;
  return { ok: true, value: neg ? -un.value : un.value };
}

/** strconv.ParseBool. */
function parseBool(s: string): Conv<boolean> {
  switch (s) {
    case "1": case "t": case "T": case "TRUE": case "true": case "True":
      return { ok: true, value: true };
    case "0": case "f": case "F": case "FALSE": case "false": case "False":
      return { ok: true, value: false };
    default:
      return SYNTAX;
  }
}

function commonPrefixLenIgnoreCase(s: string, prefix: string): number {
  let i = 0;
  while (i < s.length && i < prefix.length && lowerByte(s[i]!) === prefix[i]) i++;
  return i;
}

/** strconv.ParseFloat(s, bits): decimal and hex (p exponent) forms, inf/infinity/nan, underscores. */
function parseFloatGo(s: string, bits: 32 | 64): Conv<number> {
  // special(): a possibly signed "inf"/"infinity", or an unsigned "nan"; the whole string must match.
  if (s.length > 0) {
    let sign = 1;
    let t = s;
    let nsign = 0;
    if (t[0] === "+" || t[0] === "-") {
      sign = t[0] === "-" ? -1 : 1;
      nsign = 1;
      t = t.slice(1);
    }
    const c0 = lowerByte(t[0] ?? "");
    if (c0 === "i") {
      let n = commonPrefixLenIgnoreCase(t, "infinity");
      if (n > 3 && n < 8) n = 3;
      if (n === 3 || n === 8) return nsign + n === s.length ? { ok: true, value: sign * Infinity } : SYNTAX;
    } else if (c0 === "n" && nsign === 0 && commonPrefixLenIgnoreCase(t, "nan") === 3) {
      return s.length === 3 ? { ok: true, value: NaN } : SYNTAX;
    }
  }
  // readFloat(): validate the shape exactly as strconv does.
  let i = 0;
  let underscores = false;
  let neg = false;
  if (s[i] === "+") i++;
  else if (s[i] === "-") [neg, i] = [true, i + 1];
  let hex = false;
  if (i + 2 < s.length && s[i] === "0" && lowerByte(s[i + 1]!) === "x") {
    hex = true;
    i += 2;
  }
  const mantStart = i;
  let sawdot = false;
  let sawdigits = false;
  for (; i < s.length; i++) {
    const c = s[i]!;
    if (c === "_") {
      underscores = true;
      continue;
    }
    if (c === ".") {
      if (sawdot) break;
      sawdot = true;
      continue;
    }
    if (isDigit(c) || (hex && lowerByte(c) >= "a" && lowerByte(c) <= "f")) {
      sawdigits = true;
      continue;
    }
    break;
  }
  if (!sawdigits) return SYNTAX;
  const mantEnd = i;
  let exp = 0;
  if (i < s.length && lowerByte(s[i]!) === (hex ? "p" : "e")) {
    i++;
    if (i >= s.length) return SYNTAX;
    let esign = 1;
    if (s[i] === "+") i++;
    else if (s[i] === "-") [esign, i] = [-1, i + 1];
    if (i >= s.length || !isDigit(s[i]!)) return SYNTAX;
    let e = 0;
    for (; i < s.length && (isDigit(s[i]!) || s[i] === "_"); i++) {
      if (s[i] === "_") {
        underscores = true;
        continue;
      }
      if (e < 10000) e = e * 10 + s.charCodeAt(i) - 48;
    }
    exp = e * esign;
  } else if (hex) {
    return SYNTAX;
  }
  if (underscores && !underscoreOK(s.slice(0, i))) return SYNTAX;
  if (i !== s.length) return SYNTAX;

  let value: number;
  const mant = s.slice(mantStart, mantEnd).replace(/_/g, "");
  if (hex) {
    const dot = mant.indexOf(".");
    const digits = dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1);
    const frac = dot < 0 ? 0 : mant.length - dot - 1;
    value = Number(BigInt("0x" + digits));
    let e2 = exp - 4 * frac;
    while (value !== 0 && e2 > 0 && Number.isFinite(value)) {
      const k = Math.min(e2, 1000);
      value *= 2 ** k;
      e2 -= k;
    }
    while (value !== 0 && e2 < 0) {
      const k = Math.min(-e2, 1000);
      value /= 2 ** k;
      e2 += k;
    }
  } else {
    value = Number(mant + (exp !== 0 ? "e" + exp : ""));
  }
  if (neg) value = -value;
  if (bits === 32) value = Math.fround(value);
  return Number.isFinite(value) ? { ok: true, value } : RANGE;
}

function utf8Encode(cp: number, out: number[]): void {
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
}

const utf8Decoder = new TextDecoder("utf-8");

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * strconv.Unquote for the two quote styles the grammar accepts. Returns null for ErrSyntax. `\x` and
 * octal escapes produce raw bytes in Go; the result is decoded as UTF-8 (invalid bytes become U+FFFD).
 */
function goUnquote(text: string): string | null {
  if (text.length < 2) return null;
  const quote = text[0];
  if (quote !== text[text.length - 1]) return null;
  const body = text.slice(1, -1);
  if (quote === "`") {
    if (body.includes("`")) return null;
    return body.includes("\r") ? body.replace(/\r/g, "") : body;
  }
  if (quote !== '"') return null;
  if (body.includes("\n")) return null;
  if (!body.includes("\\")) return body.includes('"') ? null : body;
  const bytes: number[] = [];
  const cps = Array.from(body, (ch) => ch.codePointAt(0)!);
  for (let i = 0; i < cps.length; ) {
    const c = cps[i]!;
    if (c === 0x22) return null;
    if (c !== 0x5c) {
      utf8Encode(c, bytes);
      i++;
      continue;
    }
    if (i + 1 >= cps.length) return null;
    const e = cps[i + 1]!;
    i += 2;
    switch (e) {
      case 0x61: bytes.push(7); break; // \a
      case 0x62: bytes.push(8); break; // \b
      case 0x66: bytes.push(12); break; // \f
      case 0x6e: bytes.push(10); break; // \n
      case 0x72: bytes.push(13); break; // \r
      case 0x74: bytes.push(9); break; // \t
      case 0x76: bytes.push(11); break; // \v
      case 0x5c: bytes.push(0x5c); break;
      case 0x22: bytes.push(0x22); break;
      case 0x78: // \xHH
      case 0x75: // \uHHHH
      case 0x55: { // \UHHHHHHHH
        const n = e === 0x78 ? 2 : e === 0x75 ? 4 : 8;
        if (i + n > cps.length) return null;
        let v = 0;
        for (let j = 0; j < n; j++) {
          const h = hexVal(cps[i + j]!);
          if (h < 0) return null;
          v = v * 16 + h;
        }
        i += n;
        if (e === 0x78) bytes.push(v);
        else if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return null;
        else utf8Encode(v, bytes);
        break;
      }
      default: {
        if (e < 0x30 || e > 0x37) return null; // \' and anything else are invalid in "..."
        if (i + 2 > cps.length) return null;
        let v = e - 0x30;
        for (let j = 0; j < 2; j++) {
          const d = cps[i + j]! - 0x30;
          if (d < 0 || d > 7) return null;
          v = (v << 3) | d;
        }
        if (v > 255) return null;
        i += 2;
        bytes.push(v);
      }
    }
  }
  return utf8Decoder.decode(new Uint8Array(bytes));
}

// ---------------------------------------------------------------------------------------------------
// Parser: pigeon's PEG runtime replayed over go-bexpr's grammar.peg
// ---------------------------------------------------------------------------------------------------

type MatchOp = "==" | "!=" | "in" | "not in" | "is empty" | "is not empty" | "matches" | "not matches";

interface Selector {
  readonly type: "bexpr" | "pointer";
  readonly path: readonly string[];
}

interface Binding {
  readonly mode: "default" | "index" | "value" | "indexValue";
  readonly def: string;
  readonly index: string;
  readonly value: string;
}

type Ast =
  | { readonly k: "or" | "and"; readonly left: Ast; readonly right: Ast }
  | { readonly k: "not"; readonly operand: Ast }
  | { readonly k: "match"; readonly sel: Selector; readonly op: MatchOp; readonly value: string | null }
  | { readonly k: "coll"; readonly op: "any" | "all"; readonly sel: Selector; readonly bind: Binding; readonly inner: Ast };

/** What an action sees: the labelled values of its scope and the text it matched. */
type Labels = Record<string, unknown>;
type Action = (labels: Labels, text: string) => [unknown, string | null];

type PNode =
  | { readonly t: "act"; readonly e: PNode; readonly run: Action }
  | { readonly t: "andc"; readonly msg: string }
  | { readonly t: "and"; readonly e: PNode }
  | { readonly t: "any" }
  | { readonly t: "cls"; readonly want: string; readonly test: (cp: number) => boolean }
  | { readonly t: "ch"; readonly alts: readonly PNode[] }
  | { readonly t: "lab"; readonly label: string; readonly e: PNode }
  | { readonly t: "lit"; readonly cps: readonly number[]; readonly want: string }
  | { readonly t: "not"; readonly e: PNode }
  | { readonly t: "plus" | "star" | "opt"; readonly e: PNode }
  | { readonly t: "ref"; readonly name: string }
  | { readonly t: "seq"; readonly es: readonly PNode[] };

interface PRule {
  readonly name: string;
  readonly display: string | null;
  readonly expr: PNode;
}

const act = (e: PNode, run: Action): PNode => ({ t: "act", e, run });
const andc = (msg: string): PNode => ({ t: "andc", msg });
const and = (e: PNode): PNode => ({ t: "and", e });
const anyc: PNode = { t: "any" };
const cls = (want: string, test: (cp: number) => boolean): PNode => ({ t: "cls", want, test });
const ch = (...alts: PNode[]): PNode => ({ t: "ch", alts });
const lab = (label: string, e: PNode): PNode => ({ t: "lab", label, e });
const lit = (s: string): PNode => ({ t: "lit", cps: Array.from(s, (c) => c.codePointAt(0)!), want: JSON.stringify(s) });
const not = (e: PNode): PNode => ({ t: "not", e });
const plus = (e: PNode): PNode => ({ t: "plus", e });
const star = (e: PNode): PNode => ({ t: "star", e });
const opt = (e: PNode): PNode => ({ t: "opt", e });
const ref = (name: string): PNode => ({ t: "ref", name });
const seq = (...es: PNode[]): PNode => ({ t: "seq", es });
const ok = (v: unknown): [unknown, null] => [v, null];

const WS = ref("_");
const isLetterOrNumber = /^[\p{L}\p{N}]$/u;

function selectorString(sel: Selector): string {
  if (sel.path.length === 0) return "";
  return sel.path.join(sel.type === "bexpr" ? "." : "/");
}

function binary(k: "or" | "and"): Action {
  return (l) => ok({ k, left: l.left as Ast, right: l.right as Ast });
}
const passExpr: Action = (l) => ok(l.expr);
const constant = (v: unknown): Action => () => ok(v);
const matchSelectorOpValue: Action = (l) =>
  ok({ k: "match", sel: l.selector as Selector, op: l.operator as MatchOp, value: l.value as string });

/** The rules of go-bexpr v0.1.15 `grammar/grammar.peg`, node for node (pigeon counts every node). */
const GRAMMAR: readonly PRule[] = [
  {
    name: "Input",
    display: null,
    expr: ch(
      act(seq(opt(WS), lit("("), opt(WS), lab("expr", ref("OrExpression")), opt(WS), lit(")"), opt(WS), ref("EOF")), passExpr),
      act(seq(opt(WS), lab("expr", ref("OrExpression")), opt(WS), ref("EOF")), passExpr),
    ),
  },
  {
    name: "OrExpression",
    display: null,
    expr: ch(
      act(seq(lab("left", ref("AndExpression")), WS, lit("or"), WS, lab("right", ref("OrExpression"))), binary("or")),
      act(lab("expr", ref("AndExpression")), passExpr),
      act(lab("expr", ref("CollectionExpression")), passExpr),
    ),
  },
  {
    name: "AndExpression",
    display: null,
    expr: ch(
      act(seq(lab("left", ref("NotExpression")), WS, lit("and"), WS, lab("right", ref("AndExpression"))), binary("and")),
      act(lab("expr", ref("NotExpression")), passExpr),
    ),
  },
  {
    name: "NotExpression",
    display: null,
    expr: ch(
      act(seq(lit("not"), WS, lab("expr", ref("NotExpression"))), (l) => {
        const inner = l.expr as Ast;
        // go-bexpr collapses `not not x` to `x` at parse time.
        return ok(inner.k === "not" ? inner.operand : { k: "not", operand: inner });
      }),
      act(lab("expr", ref("ParenthesizedExpression")), passExpr),
    ),
  },
  {
    name: "CollectionExpression",
    display: null,
    expr: act(
      seq(
        lab("op", ch(ref("CollectionOpAny"), ref("CollectionOpAll"))),
        lab("selector", ref("Selector")),
        WS,
        lit("as"),
        WS,
        lab("binding", ref("CollectionIdentifiers")),
        opt(WS),
        lit("{"),
        opt(WS),
        lab("expr", ref("OrExpression")),
        opt(WS),
        lit("}"),
      ),
      (l) => ok({ k: "coll", op: l.op, sel: l.selector, bind: l.binding, inner: l.expr }),
    ),
  },
  {
    name: "CollectionIdentifiers",
    display: '"collection-identifiers"',
    expr: ch(
      act(seq(lab("id1", ref("Identifier")), opt(WS), lit(","), opt(WS), lab("id2", ref("Identifier"))), (l) =>
        ok({ mode: "indexValue", def: "", index: l.id1, value: l.id2 }),
      ),
      act(seq(lab("id1", ref("Identifier")), opt(WS), lit(","), opt(WS), lit("_")), (l) =>
        ok({ mode: "index", def: "", index: l.id1, value: "" }),
      ),
      act(seq(lit("_"), opt(WS), lit(","), opt(WS), lab("id2", ref("Identifier"))), (l) =>
        ok({ mode: "value", def: "", index: "", value: l.id2 }),
      ),
      act(lab("id", ref("Identifier")), (l) => ok({ mode: "default", def: l.id, index: "", value: "" })),
    ),
  },
  { name: "CollectionOpAny", display: null, expr: act(seq(lit("any"), WS), constant("any")) },
  { name: "CollectionOpAll", display: null, expr: act(seq(lit("all"), WS), constant("all")) },
  {
    name: "ParenthesizedExpression",
    display: '"grouping"',
    expr: ch(
      act(seq(lit("("), opt(WS), lab("expr", ref("OrExpression")), opt(WS), lit(")")), passExpr),
      act(lab("expr", ref("MatchExpression")), passExpr),
      seq(lit("("), opt(WS), ref("OrExpression"), opt(WS), not(lit(")")), andc("Unmatched parentheses")),
    ),
  },
  {
    name: "MatchExpression",
    display: '"match"',
    expr: ch(ref("MatchSelectorOpValue"), ref("MatchSelectorOp"), ref("MatchValueOpSelector")),
  },
  {
    name: "MatchSelectorOpValue",
    display: '"match"',
    expr: act(
      seq(
        lab("selector", ref("Selector")),
        lab(
          "operator",
          ch(ref("MatchEqual"), ref("MatchNotEqual"), ref("MatchContains"), ref("MatchNotContains"), ref("MatchMatches"), ref("MatchNotMatches")),
        ),
        lab("value", ref("Value")),
      ),
      matchSelectorOpValue,
    ),
  },
  {
    name: "MatchSelectorOp",
    display: '"match"',
    expr: act(seq(lab("selector", ref("Selector")), lab("operator", ch(ref("MatchIsEmpty"), ref("MatchIsNotEmpty")))), (l) =>
      ok({ k: "match", sel: l.selector, op: l.operator, value: null }),
    ),
  },
  {
    name: "MatchValueOpSelector",
    display: '"match"',
    expr: ch(
      act(seq(lab("value", ref("Value")), lab("operator", ch(ref("MatchIn"), ref("MatchNotIn"))), lab("selector", ref("Selector"))), matchSelectorOpValue),
      seq(ref("Value"), lab("operator", ch(ref("MatchIn"), ref("MatchNotIn"))), not(ref("Selector")), andc("Invalid selector")),
    ),
  },
  { name: "MatchEqual", display: null, expr: act(seq(opt(WS), lit("=="), opt(WS)), constant("==")) },
  { name: "MatchNotEqual", display: null, expr: act(seq(opt(WS), lit("!="), opt(WS)), constant("!=")) },
  { name: "MatchIsEmpty", display: null, expr: act(seq(WS, lit("is"), WS, lit("empty")), constant("is empty")) },
  { name: "MatchIsNotEmpty", display: null, expr: act(seq(WS, lit("is"), WS, lit("not"), WS, lit("empty")), constant("is not empty")) },
  { name: "MatchIn", display: null, expr: act(seq(WS, lit("in"), WS), constant("in")) },
  { name: "MatchNotIn", display: null, expr: act(seq(WS, lit("not"), WS, lit("in"), WS), constant("not in")) },
  { name: "MatchContains", display: null, expr: act(seq(WS, lit("contains"), WS), constant("in")) },
  { name: "MatchNotContains", display: null, expr: act(seq(WS, lit("not"), WS, lit("contains"), WS), constant("not in")) },
  { name: "MatchMatches", display: null, expr: act(seq(WS, lit("matches"), WS), constant("matches")) },
  { name: "MatchNotMatches", display: null, expr: act(seq(WS, lit("not"), WS, lit("matches"), WS), constant("not matches")) },
  {
    name: "Selector",
    display: '"selector"',
    expr: ch(
      act(seq(lab("first", ref("Identifier")), lab("rest", star(ref("SelectorOrIndex")))), (l) =>
        ok({ type: "bexpr", path: [l.first as string, ...((l.rest as string[] | null) ?? [])] }),
      ),
      act(seq(lit('"'), lab("ptrsegs", star(ref("JsonPointerSegment"))), lit('"')), (l) => {
        // pointerstructure.Parse("/" + segments.join("/")): no segment means one empty part; then
        // "~1" -> "/" and "~0" -> "~" in each part.
        const segs = (l.ptrsegs as string[] | null) ?? [];
        const parts = segs.length === 0 ? [""] : segs;
        return ok({ type: "pointer", path: parts.map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~")) });
      }),
    ),
  },
  {
    name: "JsonPointerSegment",
    display: null,
    expr: act(
      seq(
        lit("/"),
        lab(
          "ident",
          plus(cls("[\\pL\\pN-_.~:|]", (cp) => "-_.~:|".includes(String.fromCodePoint(cp)) || isLetterOrNumber.test(String.fromCodePoint(cp)))),
        ),
      ),
      (_l, text) => ok(text.slice(1)),
    ),
  },
  {
    name: "Identifier",
    display: null,
    expr: act(
      seq(
        cls("[a-zA-Z]", (cp) => (cp >= 97 && cp <= 122) || (cp >= 65 && cp <= 90)),
        star(cls("[a-zA-Z0-9_/]", (cp) => (cp >= 97 && cp <= 122) || (cp >= 65 && cp <= 90) || (cp >= 48 && cp <= 57) || cp === 95 || cp === 47)),
      ),
      (_l, text) => ok(text),
    ),
  },
  {
    name: "SelectorOrIndex",
    display: null,
    expr: ch(
      act(seq(lit("."), lab("ident", ref("Identifier"))), (l) => ok(l.ident)),
      act(lab("expr", ref("IndexExpression")), passExpr),
      act(seq(lit("."), lab("idx", plus(cls("[0-9]", (cp) => cp >= 48 && cp <= 57)))), (_l, text) => ok(text.slice(1))),
    ),
  },
  {
    name: "IndexExpression",
    display: '"index"',
    expr: ch(
      act(seq(lit("["), opt(WS), lab("lit", ref("StringLiteral")), opt(WS), lit("]")), (l) => ok(l.lit)),
      seq(lit("["), opt(WS), not(ref("StringLiteral")), andc("Invalid index")),
      seq(lit("["), opt(WS), ref("StringLiteral"), opt(WS), not(lit("]")), andc("Unclosed index expression")),
    ),
  },
  {
    name: "Value",
    display: '"value"',
    expr: ch(
      act(lab("selector", ref("Selector")), (l) => ok(selectorString(l.selector as Selector))),
      act(lab("n", ref("NumberLiteral")), (l) => ok(l.n)),
      act(lab("s", ref("StringLiteral")), (l) => ok(l.s)),
    ),
  },
  {
    name: "NumberLiteral",
    display: '"number"',
    expr: ch(
      act(seq(opt(lit("-")), ref("IntegerOrFloat"), and(ref("AfterNumbers"))), (_l, text) => ok(text)),
      seq(opt(lit("-")), ref("IntegerOrFloat"), not(ref("AfterNumbers")), andc("Invalid number literal")),
    ),
  },
  { name: "AfterNumbers", display: null, expr: and(ch(WS, ref("EOF"), lit(")"))) },
  {
    name: "IntegerOrFloat",
    display: null,
    expr: seq(
      ch(lit("0"), seq(cls("[1-9]", (cp) => cp >= 49 && cp <= 57), star(cls("[0-9]", (cp) => cp >= 48 && cp <= 57)))),
      opt(seq(lit("."), plus(cls("[0-9]", (cp) => cp >= 48 && cp <= 57)))),
    ),
  },
  {
    name: "StringLiteral",
    display: '"string"',
    expr: ch(
      act(ch(seq(lit("`"), star(ref("RawStringChar")), lit("`")), seq(lit('"'), star(ref("DoubleStringChar")), lit('"'))), (_l, text) => {
        const s = goUnquote(text);
        return s === null ? ["", "invalid syntax"] : ok(s);
      }),
      seq(ch(seq(lit("`"), star(ref("RawStringChar"))), seq(lit('"'), star(ref("DoubleStringChar")))), ref("EOF"), andc("Unterminated string literal")),
    ),
  },
  { name: "RawStringChar", display: null, expr: seq(not(lit("`")), anyc) },
  { name: "DoubleStringChar", display: null, expr: seq(not(lit('"')), anyc) },
  { name: "_", display: '"whitespace"', expr: plus(cls("[ \\t\\r\\n]", (cp) => cp === 32 || cp === 9 || cp === 13 || cp === 10)) },
  { name: "EOF", display: null, expr: not(anyc) },
];

const RULES = new Map(GRAMMAR.map((r) => [r.name, r]));
/** go-bexpr's default `MaxExpressions`: pigeon panics (and the parse fails) beyond it. */
const MAX_PARSE_EXPRESSIONS = 2_000_000;
const FAIL: unique symbol = Symbol("no match");
type PResult = unknown;
type PFn = (p: PegParser) => PResult;

class MaxExpressionsReached {}

/** Parse state; the grammar itself runs as the closures built by {@link compilePeg}. */
class PegParser {
  readonly cps: number[];
  private readonly lineAt: Int32Array;
  private readonly colAt: Int32Array;
  private readonly offAt: Int32Array;
  private readonly u16At: Int32Array;
  pos = 0;
  readonly vstack: Labels[] = [];
  readonly rstack: PRule[] = [];
  private readonly errs: { msg: string; at: number }[] = [];
  private maxFail = 0;
  private maxFailMoved = false;
  private expected: string[] = [];
  invert = false;
  /** pigeon's ExprCnt: one per grammar node visited. */
  count = 0;

  constructor(private readonly src: string) {
    this.cps = Array.from(src, (c) => c.codePointAt(0)!);
    const n = this.cps.length;
    this.lineAt = new Int32Array(n + 1);
    this.colAt = new Int32Array(n + 1);
    this.offAt = new Int32Array(n + 1);
    this.u16At = new Int32Array(n + 1);
    // pigeon's read(): col counts runes, and reading a '\n' moves to the next line at column 0.
    let line = 1;
    let col = 0;
    let off = 0;
    let u16 = 0;
    for (let i = 0; i <= n; i++) {
      col++;
      const cp = this.cps[i];
      if (cp === 10) {
        line++;
        col = 0;
      }
      this.lineAt[i] = line;
      this.colAt[i] = col;
      this.offAt[i] = off;
      this.u16At[i] = u16;
      if (cp !== undefined) {
        off += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        u16 += cp < 0x10000 ? 1 : 2;
      }
    }
  }

  parse(): Ast {
    let result: PResult = FAIL;
    try {
      result = INPUT(this);
    } catch (err) {
      if (err instanceof MaxExpressionsReached) this.addErr("max number of expresssions parsed", this.pos);
      else if (err instanceof RangeError) this.addErr("expression nests too deeply for this evaluator", this.pos);
      else throw err;
    }
    if (result === FAIL && this.errs.length === 0) {
      const set = new Set(this.expected);
      const eof = set.delete("!.");
      const list = [...set].sort();
      if (eof) list.push("EOF");
      const joined = list.length <= 1 ? (list[0] ?? "") : `${list.slice(0, -1).join(", ")} or ${list[list.length - 1]}`;
      this.rstack.length = 0;
      this.addErr(`no match found, expected: ${joined}`, this.maxFailMoved ? this.maxFail : -1);
    }
    if (this.errs.length > 0) {
      const seen = new Set<string>();
      const unique = this.errs.filter((e) => !seen.has(e.msg) && seen.add(e.msg));
      const first = unique[0]!;
      throw new FilterSyntaxError(unique.map((e) => e.msg).join("\n"), this.position(first.at));
    }
    return result as Ast;
  }

  private position(at: number): { offset: number; line: number; column: number } {
    if (at < 0) return { offset: 0, line: 1, column: 1 };
    return { offset: this.offAt[at]!, line: this.lineAt[at]!, column: this.colAt[at]! };
  }

  /** pigeon's addErrAt: position, then the innermost rule (its display name if it has one). */
  addErr(msg: string, at: number): void {
    const p = this.position(at);
    let prefix = `${p.line}:${p.column} (${p.offset})`;
    const top = this.rstack[this.rstack.length - 1];
    if (top) prefix += `: rule ${top.display ?? top.name}`;
    this.errs.push({ msg: `${prefix}: ${msg}`, at });
  }

  /** pigeon's failAt: the farthest position's expectations (inverted inside `!`). */
  failAt(matched: boolean, at: number, want: string): void {
    if (matched !== this.invert) return;
    if (at < this.maxFail) return;
    if (at > this.maxFail) {
      this.maxFail = at;
      this.maxFailMoved = true;
      this.expected = [];
    }
    this.expected.push(this.invert ? "!" + want : want);
  }

  text(from: number): string {
    return this.src.slice(this.u16At[from], this.u16At[this.pos]);
  }

  tick(): void {
    if (++this.count > MAX_PARSE_EXPRESSIONS) throw new MaxExpressionsReached();
  }
}

/**
 * Compiles grammar nodes into closures, one counted visit per node in pigeon's order. A sequence
 * runs its labelled children inline, and an action over a sequence runs the sequence inline, so a
 * chain of `or`s or `not`s costs three small stack frames per level (Go's stack is far deeper).
 */
function compilePeg(node: PNode): PFn {
  switch (node.t) {
    case "act": {
      const run = node.run;
      if (node.e.t === "seq") {
        const steps = seqSteps(node.e.es);
        return (p) => {
          p.tick(); // act
          const start = p.pos;
          p.tick(); // seq
          for (const step of steps) {
            let v: PResult;
            if (step.label === null) v = step.fn(p);
            else {
              p.tick(); // lab
              p.vstack.push({});
              v = step.fn(p);
              p.vstack.pop();
              if (v !== FAIL) p.vstack[p.vstack.length - 1]![step.label] = v;
            }
            if (v === FAIL) {
              p.pos = start;
              return FAIL;
            }
          }
          const [val, err] = run(p.vstack[p.vstack.length - 1]!, p.text(start));
          if (err !== null) p.addErr(err, start);
          return val;
        };
      }
      const inner = compilePeg(node.e);
      return (p) => {
        p.tick();
        const start = p.pos;
        if (inner(p) === FAIL) return FAIL;
        const [val, err] = run(p.vstack[p.vstack.length - 1]!, p.text(start));
        if (err !== null) p.addErr(err, start);
        return val;
      };
    }
    case "seq": {
      const steps = seqSteps(node.es);
      return (p) => {
        p.tick();
        const start = p.pos;
        const vals: unknown[] = [];
        for (const step of steps) {
          let v: PResult;
          if (step.label === null) v = step.fn(p);
          else {
            p.tick();
            p.vstack.push({});
            v = step.fn(p);
            p.vstack.pop();
            if (v !== FAIL) p.vstack[p.vstack.length - 1]![step.label] = v;
          }
          if (v === FAIL) {
            p.pos = start;
            return FAIL;
          }
          vals.push(v);
        }
        return vals;
      };
    }
    case "lab": {
      const inner = compilePeg(node.e);
      const label = node.label;
      return (p) => {
        p.tick();
        p.vstack.push({});
        const v = inner(p);
        p.vstack.pop();
        if (v !== FAIL) p.vstack[p.vstack.length - 1]![label] = v;
        return v;
      };
    }
    case "andc": {
      const msg = node.msg;
      return (p) => {
        p.tick();
        p.addErr(msg, p.pos);
        return FAIL;
      };
    }
    case "and":
    case "not": {
      const inner = compilePeg(node.e);
      const negate = node.t === "not";
      return (p) => {
        p.tick();
        const start = p.pos;
        if (negate) p.invert = !p.invert;
        p.vstack.push({});
        const v = inner(p);
        p.vstack.pop();
        if (negate) p.invert = !p.invert;
        p.pos = start;
        return (v === FAIL) === negate ? null : FAIL;
      };
    }
    case "any":
      return (p) => {
        p.tick();
        const start = p.pos;
        if (start >= p.cps.length) {
          p.failAt(false, start, ".");
          return FAIL;
        }
        p.pos++;
        p.failAt(true, start, ".");
        return p.text(start);
      };
    case "cls": {
      const { test, want } = node;
      return (p) => {
        p.tick();
        const start = p.pos;
        const cp = p.cps[start];
        if (cp === undefined || !test(cp)) {
          p.failAt(false, start, want);
          return FAIL;
        }
        p.pos++;
        p.failAt(true, start, want);
        return p.text(start);
      };
    }
    case "lit": {
      const { cps, want } = node;
      return (p) => {
        p.tick();
        const start = p.pos;
        for (const c of cps) {
          if (p.cps[p.pos] !== c) {
            p.failAt(false, start, want);
            p.pos = start;
            return FAIL;
          }
          p.pos++;
        }
        p.failAt(true, start, want);
        return p.text(start);
      };
    }
    case "ch": {
      const alts = node.alts.map(compilePeg);
      return (p) => {
        p.tick();
        for (const alt of alts) {
          p.vstack.push({});
          const v = alt(p);
          p.vstack.pop();
          if (v !== FAIL) return v;
        }
        return FAIL;
      };
    }
    case "plus":
    case "star":
    case "opt": {
      const inner = compilePeg(node.e);
      const kind = node.t;
      return (p) => {
        p.tick();
        if (kind === "opt") {
          p.vstack.push({});
          const v = inner(p);
          p.vstack.pop();
          return v === FAIL ? null : v;
        }
        const vals: unknown[] = [];
        for (;;) {
          p.vstack.push({});
          const v = inner(p);
          p.vstack.pop();
          if (v === FAIL) break;
          vals.push(v);
        }
        if (vals.length > 0) return vals;
        return kind === "plus" ? FAIL : null;
      };
    }
    case "ref": {
      const rule = RULES.get(node.name)!;
      let body: PFn | undefined; // compiled on first use: rules are recursive
      return (p) => {
        p.tick(); // the reference
        p.rstack.push(rule);
        p.vstack.push({});
        const v = (body ??= ruleBody(rule))(p); // counts the rule's expression
        p.vstack.pop();
        p.rstack.pop();
        return v;
      };
    }
  }
}

function seqSteps(es: readonly PNode[]): { fn: PFn; label: string | null }[] {
  return es.map((e) => (e.t === "lab" ? { fn: compilePeg(e.e), label: e.label } : { fn: compilePeg(e), label: null }));
}

const ruleBodies = new Map<PRule, PFn>();
function ruleBody(rule: PRule): PFn {
  let fn = ruleBodies.get(rule);
  if (!fn) ruleBodies.set(rule, (fn = compilePeg(rule.expr)));
  return fn;
}

const INPUT_RULE = RULES.get("Input")!;
/** The start rule, entered as pigeon's parse() does (no reference node counted). */
const INPUT: PFn = (p) => {
  p.rstack.push(INPUT_RULE);
  p.vstack.push({});
  const v = ruleBody(INPUT_RULE)(p);
  p.vstack.pop();
  p.rstack.pop();
  return v;
};

function parseFilter(source: string): Ast {
  return new PegParser(source).parse();
}

// ---------------------------------------------------------------------------------------------------
// RE2 (Go regexp/syntax with Perl flags) to JavaScript
// ---------------------------------------------------------------------------------------------------

const MAX_RUNE = 0x10ffff;
const MIN_FOLD = 0x41;
const MAX_FOLD = 0x1e943;

type Ranges = number[]; // [lo0, hi0, lo1, hi1, ...]

function cleanRanges(r: Ranges): Ranges {
  const pairs: [number, number][] = [];
  for (let i = 0; i < r.length; i += 2) pairs.push([r[i]!, r[i + 1]!]);
  pairs.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const out: Ranges = [];
  for (const [lo, hi] of pairs) {
    const n = out.length;
    if (n > 0 && lo <= out[n - 1]! + 1) {
      if (hi > out[n - 1]!) out[n - 1] = hi;
    } else out.push(lo, hi);
  }
  return out;
}

function negateRanges(r: Ranges): Ranges {
  const c = cleanRanges(r);
  const out: Ranges = [];
  let next = 0;
  for (let i = 0; i < c.length; i += 2) {
    if (next <= c[i]! - 1) out.push(next, c[i]! - 1);
    next = c[i + 1]! + 1;
  }
  if (next <= MAX_RUNE) out.push(next, MAX_RUNE);
  return out;
}

let caseOrbits: Map<number, number[]> | null = null;

/**
 * Case-fold orbits (what unicode.SimpleFold cycles through), built once from the engine's single
 * code point upper/lower mappings.
 */
function orbitOf(cp: number): readonly number[] | undefined {
  if (!caseOrbits) {
    const parent = new Map<number, number>();
    const find = (x: number): number => {
      let r = x;
      while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
      parent.set(x, r);
      return r;
    };
    const union = (a: number, b: number): void => {
      const ra = find(a);
      const rb = find(b);
      if (ra !== rb) parent.set(ra, rb);
    };
    for (let c = MIN_FOLD; c <= MAX_FOLD; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const s = String.fromCodePoint(c);
      for (const m of [s.toLowerCase(), s.toUpperCase()]) {
        if (m === s) continue;
        const mc = m.codePointAt(0)!;
        if (m.length === String.fromCodePoint(mc).length) union(c, mc);
      }
    }
    const groups = new Map<number, number[]>();
    for (const c of parent.keys()) {
      const r = find(c);
      let g = groups.get(r);
      if (!g) groups.set(r, (g = []));
      g.push(c);
    }
    caseOrbits = new Map();
    for (const g of groups.values()) {
      if (g.length < 2) continue;
      g.sort((a, b) => a - b);
      for (const c of g) caseOrbits.set(c, g);
    }
  }
  return caseOrbits.get(cp);
}

/** appendFoldedRange: the range plus everything case-equivalent to it. */
function foldRanges(r: Ranges): Ranges {
  const out: Ranges = [];
  for (let i = 0; i < r.length; i += 2) {
    let lo = r[i]!;
    let hi = r[i + 1]!;
    if ((lo <= MIN_FOLD && hi >= MAX_FOLD) || hi < MIN_FOLD || lo > MAX_FOLD) {
      out.push(lo, hi);
      continue;
    }
    if (lo < MIN_FOLD) {
      out.push(lo, MIN_FOLD - 1);
      lo = MIN_FOLD;
    }
    if (hi > MAX_FOLD) {
      out.push(MAX_FOLD + 1, hi);
      hi = MAX_FOLD;
    }
    out.push(lo, hi);
    for (let c = lo; c <= hi; c++) for (const f of orbitOf(c) ?? []) out.push(f, f);
  }
  return cleanRanges(out);
}

const PERL_GROUPS: Record<string, [number, Ranges]> = {
  "\\d": [1, [0x30, 0x39]],
  "\\D": [-1, [0x30, 0x39]],
  "\\s": [1, [0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x20]],
  "\\S": [-1, [0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x20]],
  "\\w": [1, [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a]],
  "\\W": [-1, [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a]],
};

const POSIX_CLASSES: Record<string, Ranges> = {
  alnum: [0x30, 0x39, 0x41, 0x5a, 0x61, 0x7a],
  alpha: [0x41, 0x5a, 0x61, 0x7a],
  ascii: [0x00, 0x7f],
  blank: [0x09, 0x09, 0x20, 0x20],
  cntrl: [0x00, 0x1f, 0x7f, 0x7f],
  digit: [0x30, 0x39],
  graph: [0x21, 0x7e],
  lower: [0x61, 0x7a],
  print: [0x20, 0x7e],
  punct: [0x21, 0x2f, 0x3a, 0x40, 0x5b, 0x60, 0x7b, 0x7e],
  space: [0x09, 0x0d, 0x20, 0x20],
  upper: [0x41, 0x5a],
  word: [0x30, 0x39, 0x41, 0x5a, 0x61, 0x7a, 0x5f, 0x5f],
  xdigit: [0x30, 0x39, 0x41, 0x46, 0x61, 0x66],
};

const GO_CATEGORIES = new Set([
  "C", "Cc", "Cf", "Cn", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N", "Nd", "Nl", "No",
  "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So", "Z", "Zl", "Zp", "Zs",
]);
const CATEGORY_ALIASES: Record<string, string> = {
  Casedletter: "LC", Closepunctuation: "Pe", Combiningmark: "M", Connectorpunctuation: "Pc", Control: "Cc",
  Cntrl: "Cc", Currencysymbol: "Sc", Dashpunctuation: "Pd", Decimalnumber: "Nd", Digit: "Nd", Enclosingmark: "Me",
  Finalpunctuation: "Pf", Format: "Cf", Initialpunctuation: "Pi", Letter: "L", Letternumber: "Nl",
  Lineseparator: "Zl", Lowercaseletter: "Ll", Mark: "M", Mathsymbol: "Sm", Modifierletter: "Lm",
  Modifiersymbol: "Sk", Nonspacingmark: "Mn", Number: "N", Openpunctuation: "Ps", Other: "C", Otherletter: "Lo",
  Othernumber: "No", Otherpunctuation: "Po", Othersymbol: "So", Paragraphseparator: "Zp", Privateuse: "Co",
  Punct: "P", Punctuation: "P", Separator: "Z", Spaceseparator: "Zs", Spacingmark: "Mc", Surrogate: "Cs",
  Symbol: "S", Titlecaseletter: "Lt", Unassigned: "Cn", Uppercaseletter: "Lu",
};

/** regexp/syntax canonicalName: first letter upper, the rest lower, no '_', '-' or ' '. */
function canonicalName(name: string): string {
  let out = "";
  let first = true;
  for (const c of name) {
    if (c === "_" || c === "-" || c === " ") continue;
    out += first ? c.toUpperCase() : c.toLowerCase();
    first = false;
  }
  return out;
}

function validJsProperty(body: string): boolean {
  try {
    new RegExp(`\\p{${body}}`, "u");
    return true;
  } catch {
    return false;
  }
}

/** A class member: explicit ranges, or a Unicode property JavaScript can name (`p{...}`/`P{...}`). */
interface ClassPart {
  ranges: Ranges;
  props: string[];
}

/** Resolve `\p{name}` (sign already applied by the caller) into ranges or a JS property escape. */
function unicodeClass(name: string, negated: boolean, fold: boolean, into: ClassPart): boolean {
  const canon = canonicalName(name);
  let ranges: Ranges | null = null;
  let prop: string | null = null;
  if (canon === "Any") ranges = [0, MAX_RUNE];
  else if (canon === "Ascii") ranges = fold ? [0, 0x7f, 0x17f, 0x17f, 0x212a, 0x212a] : [0, 0x7f];
  else if (canon === "Assigned") [prop, negated] = ["Cn", !negated];
  else if (canon === "Lc") prop = "LC";
  else if (GO_CATEGORIES.has(canon)) prop = canon;
  else if (CATEGORY_ALIASES[canon]) prop = CATEGORY_ALIASES[canon]!;
  else {
    for (const candidate of [canon, name]) {
      if (/^[A-Za-z_]+$/.test(candidate) && validJsProperty(`Script=${candidate}`)) {
        prop = `Script=${candidate}`;
        break;
      }
    }
    if (prop === null) return false;
  }
  if (ranges) {
    into.ranges.push(...(negated ? negateRanges(ranges) : ranges));
    return true;
  }
  // Go adds the fold-equivalents of a category under (?i); for the cased-letter categories that is
  // (approximately) the other cases, i.e. LC. Other tables are used unfolded.
  if (fold && (prop === "Lu" || prop === "Ll" || prop === "Lt")) prop = "LC";
  into.props.push(`\\${negated ? "P" : "p"}{${prop}}`);
  return true;
}

interface RxFlags {
  readonly i: boolean; // FoldCase
  readonly m: boolean; // !OneLine
  readonly s: boolean; // DotNL
}

type RxNode =
  | { readonly k: "lit"; readonly cp: number; readonly fold: boolean }
  | { readonly k: "cls"; readonly ranges: Ranges; readonly props: readonly string[]; readonly neg: boolean }
  | { readonly k: "raw"; readonly js: string }
  | { readonly k: "cat" | "alt"; readonly subs: readonly RxNode[] }
  | { readonly k: "rep"; readonly sub: RxNode; readonly counted: boolean; readonly min: number; readonly max: number }
  | { readonly k: "grp"; readonly sub: RxNode };

class RegexSyntaxError extends Error {}

const WORD = "[0-9A-Za-z_]";
const RAW = {
  bot: "^",
  eot: "$",
  bol: "(?:^|(?<=\\n))",
  eol: "(?:$|(?=\\n))",
  wb: `(?:(?<=${WORD})(?!${WORD})|(?<!${WORD})(?=${WORD}))`,
  nwb: `(?:(?<=${WORD})(?=${WORD})|(?<!${WORD})(?!${WORD}))`,
  dot: "[^\\n]",
  dotNL: "[\\u{0}-\\u{10ffff}]",
};
const MAX_REPEAT = 1000;

/** repeatIsValid: nested counted repetitions may not multiply beyond 1000 copies. */
function repeatIsValid(re: RxNode, n: number): boolean {
  if (re.k === "rep" && re.counted) {
    let m = re.max;
    if (m === 0) return true;
    if (m < 0) m = re.min;
    if (m > n) return false;
    if (m > 0) n = Math.trunc(n / m);
  }
  switch (re.k) {
    case "rep":
    case "grp":
      return repeatIsValid(re.sub, n);
    case "cat":
    case "alt":
      return re.subs.every((s) => repeatIsValid(s, n));
    default:
      return true;
  }
}

/** Parses Go RE2 syntax (regexp.Compile, i.e. syntax.Perl flags); throws RegexSyntaxError. */
class Re2Parser {
  private readonly c: number[];
  private i = 0;
  private flags: RxFlags = { i: false, m: false, s: false };
  private readonly stack: { alts: RxNode[][]; cur: RxNode[]; saved: RxFlags }[] = [];

  constructor(pattern: string) {
    this.c = Array.from(pattern, (ch) => ch.codePointAt(0)!);
  }

  private get top() {
    return this.stack[this.stack.length - 1]!;
  }

  parse(): RxNode {
    this.stack.push({ alts: [], cur: [], saved: this.flags });
    const c = this.c;
    let lastRepeat = false;
    while (this.i < c.length) {
      let repeated = false;
      const ch = c[this.i]!;
      switch (ch) {
        case 0x28: // (
          if (c[this.i + 1] === 0x3f) this.perlFlags();
          else {
            this.stack.push({ alts: [], cur: [], saved: this.flags });
            this.i++;
          }
          break;
        case 0x7c: // |
          this.top.alts.push(this.top.cur);
          this.top.cur = [];
          this.i++;
          break;
        case 0x29: { // )
          if (this.stack.length < 2) throw new RegexSyntaxError("unexpected )");
          const frame = this.stack.pop()!;
          this.flags = frame.saved;
          this.top.cur.push({ k: "grp", sub: Re2Parser.close(frame) });
          this.i++;
          break;
        }
        case 0x5e: // ^
          this.push({ k: "raw", js: this.flags.m ? RAW.bol : RAW.bot });
          this.i++;
          break;
        case 0x24: // $
          this.push({ k: "raw", js: this.flags.m ? RAW.eol : RAW.eot });
          this.i++;
          break;
        case 0x2e: // .
          this.push({ k: "raw", js: this.flags.s ? RAW.dotNL : RAW.dot });
          this.i++;
          break;
        case 0x5b: // [
          this.parseClass();
          break;
        case 0x2a: // *
        case 0x2b: // +
        case 0x3f: // ?
          this.i++;
          this.repeat(false, ch === 0x2b ? 1 : 0, ch === 0x3f ? 1 : -1, lastRepeat);
          repeated = true;
          break;
        case 0x7b: { // {
          const r = this.parseRepeat();
          if (!r) {
            this.literal(0x7b);
            this.i++;
            break;
          }
          if (r.min < 0 || r.min > MAX_REPEAT || r.max > MAX_REPEAT || (r.max >= 0 && r.min > r.max)) {
            throw new RegexSyntaxError("invalid repeat count");
          }
          this.i = r.end;
          this.repeat(true, r.min, r.max, lastRepeat);
          repeated = true;
          break;
        }
        case 0x5c: // backslash
          this.parseBackslash();
          break;
        default:
          this.literal(ch);
          this.i++;
      }
      lastRepeat = repeated;
    }
    if (this.stack.length !== 1) throw new RegexSyntaxError("missing closing )");
    return Re2Parser.close(this.stack[0]!);
  }

  private static close(frame: { alts: RxNode[][]; cur: RxNode[] }): RxNode {
    const alts = [...frame.alts, frame.cur].map((subs): RxNode => ({ k: "cat", subs }));
    return alts.length === 1 ? alts[0]! : { k: "alt", subs: alts };
  }

  private push(node: RxNode): void {
    this.top.cur.push(node);
  }

  private literal(cp: number): void {
    this.push({ k: "lit", cp, fold: this.flags.i });
  }

  private repeat(counted: boolean, min: number, max: number, lastRepeat: boolean): void {
    if (this.c[this.i] === 0x3f) this.i++; // non-greedy marker: irrelevant to whether a match exists
    if (lastRepeat) throw new RegexSyntaxError("invalid nested repetition operator");
    const cur = this.top.cur;
    if (cur.length === 0) throw new RegexSyntaxError("missing argument to repetition operator");
    const node: RxNode = { k: "rep", sub: cur[cur.length - 1]!, counted, min, max };
    cur[cur.length - 1] = node;
    if (counted && (min >= 2 || max >= 2) && !repeatIsValid(node, MAX_REPEAT)) {
      throw new RegexSyntaxError("invalid repeat count");
    }
  }

  /** parseRepeat: {n}, {n,} or {n,m}; null when `{` is to be taken literally. */
  private parseRepeat(): { min: number; max: number; end: number } | null {
    const c = this.c;
    let j = this.i + 1;
    const int = (): number | null => {
      if (j >= c.length || c[j]! < 0x30 || c[j]! > 0x39) return null;
      if (c[j] === 0x30 && j + 1 < c.length && c[j + 1]! >= 0x30 && c[j + 1]! <= 0x39) return null;
      let n = 0;
      for (; j < c.length && c[j]! >= 0x30 && c[j]! <= 0x39; j++) n = n >= 1e8 ? -1 : n < 0 ? -1 : n * 10 + c[j]! - 0x30;
      return n;
    };
    let min = int();
    if (min === null || j >= c.length) return null;
    let max: number;
    if (c[j] !== 0x2c) max = min;
    else {
      j++;
      if (j >= c.length) return null;
      if (c[j] === 0x7d) max = -1;
      else {
        const m = int();
        if (m === null) return null;
        max = m;
        if (max < 0) min = -1;
      }
    }
    if (j >= c.length || c[j] !== 0x7d) return null;
    return { min, max, end: j + 1 };
  }

  private perlFlags(): void {
    const c = this.c;
    const t = this.i;
    const startsWithP = c.length - t > 4 && c[t + 2] === 0x50 && c[t + 3] === 0x3c;
    const startsWithName = c.length - t > 3 && c[t + 2] === 0x3c;
    if (startsWithP || startsWithName) {
      const end = c.indexOf(0x3e, t);
      if (end < 0) throw new RegexSyntaxError("invalid named capture");
      const name = c.slice(t + (startsWithP ? 4 : 3), end);
      if (name.length === 0 || !name.every((x) => x === 0x5f || (x >= 0x30 && x <= 0x39) || (x >= 0x41 && x <= 0x5a) || (x >= 0x61 && x <= 0x7a))) {
        throw new RegexSyntaxError("invalid named capture");
      }
      this.stack.push({ alts: [], cur: [], saved: this.flags });
      this.i = end + 1;
      return;
    }
    let j = t + 2;
    const f: { i: boolean; m: boolean; s: boolean } = { ...this.flags };
    let sign = 1;
    let sawFlag = false;
    while (j < c.length) {
      const x = c[j++]!;
      if (x === 0x69) [f.i, sawFlag] = [sign > 0, true];
      else if (x === 0x6d) [f.m, sawFlag] = [sign > 0, true];
      else if (x === 0x73) [f.s, sawFlag] = [sign > 0, true];
      else if (x === 0x55) sawFlag = true; // U (ungreedy) changes nothing here
      else if (x === 0x2d) {
        if (sign < 0) break;
        sign = -1;
        sawFlag = false;
      } else if (x === 0x3a || x === 0x29) {
        if (sign < 0 && !sawFlag) break;
        if (x === 0x3a) this.stack.push({ alts: [], cur: [], saved: this.flags });
        this.flags = f;
        this.i = j;
        return;
      } else break;
    }
    throw new RegexSyntaxError("invalid or unsupported Perl syntax");
  }

  private parseBackslash(): void {
    const c = this.c;
    const next = c[this.i + 1];
    switch (next) {
      case 0x41: // \A
        this.push({ k: "raw", js: RAW.bot });
        this.i += 2;
        return;
      case 0x62: // \b
        this.push({ k: "raw", js: RAW.wb });
        this.i += 2;
        return;
      case 0x42: // \B
        this.push({ k: "raw", js: RAW.nwb });
        this.i += 2;
        return;
      case 0x43: // \C
        throw new RegexSyntaxError("invalid escape sequence");
      case 0x51: { // \Q ... \E
        let j = this.i + 2;
        while (j < c.length && !(c[j] === 0x5c && c[j + 1] === 0x45)) this.literal(c[j++]!);
        this.i = j < c.length ? j + 2 : j;
        return;
      }
      case 0x7a: // \z
        this.push({ k: "raw", js: RAW.eot });
        this.i += 2;
        return;
    }
    if (next === 0x70 || next === 0x50) {
      const part: ClassPart = { ranges: [], props: [] };
      this.i = this.unicodeClassAt(this.i, part);
      this.push({ k: "cls", ranges: cleanRanges(part.ranges), props: part.props, neg: false });
      return;
    }
    const perl = this.perlGroupAt(this.i);
    if (perl) {
      this.push({ k: "cls", ranges: perl, props: [], neg: false });
      this.i += 2;
      return;
    }
    const [cp, end] = this.escapeAt(this.i);
    this.literal(cp);
    this.i = end;
  }

  private perlGroupAt(j: number): Ranges | null {
    if (this.c[j] !== 0x5c || j + 1 >= this.c.length) return null;
    const g = PERL_GROUPS["\\" + String.fromCodePoint(this.c[j + 1]!)];
    if (!g) return null;
    return this.group(g[0], g[1]);
  }

  /** appendGroup: fold under (?i) first, then negate. */
  private group(sign: number, ranges: Ranges): Ranges {
    const r = this.flags.i ? foldRanges(ranges) : cleanRanges(ranges);
    return sign < 0 ? negateRanges(r) : r;
  }

  /** parseUnicodeClass at a `\p` / `\P`; returns the index after it. */
  private unicodeClassAt(j: number, into: ClassPart): number {
    const c = this.c;
    let negated = c[j + 1] === 0x50;
    let name: string;
    let end: number;
    if (j + 2 >= c.length) throw new RegexSyntaxError("invalid character class range");
    if (c[j + 2] !== 0x7b) {
      name = String.fromCodePoint(c[j + 2]!);
      end = j + 3;
    } else {
      const close = c.indexOf(0x7d, j);
      if (close < 0) throw new RegexSyntaxError("invalid character class range");
      name = String.fromCodePoint(...c.slice(j + 3, close));
      end = close + 1;
    }
    if (name.startsWith("^")) [negated, name] = [!negated, name.slice(1)];
    if (!unicodeClass(name, negated, this.flags.i, into)) throw new RegexSyntaxError("invalid character class range");
    return end;
  }

  /** parseEscape at a backslash: a single rune. Returns [rune, index after]. */
  private escapeAt(j: number): [number, number] {
    const c = this.c;
    if (j + 1 >= c.length) throw new RegexSyntaxError("trailing backslash at end of expression");
    const x = c[j + 1]!;
    let k = j + 2;
    const isOctal = (v: number | undefined) => v !== undefined && v >= 0x30 && v <= 0x37;
    if (x < 0x80 && !((x >= 0x30 && x <= 0x39) || (x >= 0x41 && x <= 0x5a) || (x >= 0x61 && x <= 0x7a))) return [x, k];
    if ((x >= 0x31 && x <= 0x37 && isOctal(c[k])) || x === 0x30) {
      let r = x - 0x30;
      for (let n = 1; n < 3 && isOctal(c[k]); n++) r = r * 8 + c[k++]! - 0x30;
      return [r, k];
    }
    if (x === 0x78) {
      if (k >= c.length) throw new RegexSyntaxError("invalid escape sequence");
      if (c[k] === 0x7b) {
        k++;
        let r = 0;
        let n = 0;
        for (;;) {
          if (k >= c.length) throw new RegexSyntaxError("invalid escape sequence");
          const d = c[k++]!;
          if (d === 0x7d) break;
          const v = hexVal(d);
          if (v < 0) throw new RegexSyntaxError("invalid escape sequence");
          r = r * 16 + v;
          if (r > MAX_RUNE) throw new RegexSyntaxError("invalid escape sequence");
          n++;
        }
        if (n === 0) throw new RegexSyntaxError("invalid escape sequence");
        return [r, k];
      }
      const hi = hexVal(c[k]!);
      const lo = k + 1 < c.length ? hexVal(c[k + 1]!) : -1;
      if (hi < 0 || lo < 0) throw new RegexSyntaxError("invalid escape sequence");
      return [hi * 16 + lo, k + 2];
    }
    const simple: Record<number, number> = { 0x61: 7, 0x66: 12, 0x6e: 10, 0x72: 13, 0x74: 9, 0x76: 11 };
    if (simple[x] !== undefined) return [simple[x]!, k];
    throw new RegexSyntaxError("invalid escape sequence");
  }

  private parseClass(): void {
    const c = this.c;
    let j = this.i + 1;
    let neg = false;
    if (c[j] === 0x5e) {
      neg = true;
      j++;
    }
    const part: ClassPart = { ranges: [], props: [] };
    let first = true;
    while (j >= c.length || c[j] !== 0x5d || first) {
      first = false;
      if (j + 2 < c.length && c[j] === 0x5b && c[j + 1] === 0x3a) {
        const rest = c.slice(j + 2);
        let close = -1;
        for (let k = 0; k + 1 < rest.length; k++) {
          if (rest[k] === 0x3a && rest[k + 1] === 0x5d) {
            close = k;
            break;
          }
        }
        if (close >= 0) {
          let name = String.fromCodePoint(...rest.slice(0, close));
          let sign = 1;
          if (name.startsWith("^")) [sign, name] = [-1, name.slice(1)];
          const ranges = Object.prototype.hasOwnProperty.call(POSIX_CLASSES, name) ? POSIX_CLASSES[name] : undefined;
          if (!ranges) throw new RegexSyntaxError("invalid character class range");
          part.ranges.push(...this.group(sign, ranges));
          j += 2 + close + 2;
          continue;
        }
      }
      if (c[j] === 0x5c && (c[j + 1] === 0x70 || c[j + 1] === 0x50)) {
        j = this.unicodeClassAt(j, part);
        continue;
      }
      const perl = this.perlGroupAt(j);
      if (perl) {
        part.ranges.push(...perl);
        j += 2;
        continue;
      }
      let lo: number;
      [lo, j] = this.classCharAt(j);
      let hi = lo;
      if (j + 1 < c.length && c[j] === 0x2d && c[j + 1] !== 0x5d) {
        [hi, j] = this.classCharAt(j + 1);
        if (hi < lo) throw new RegexSyntaxError("invalid character class range");
      }
      part.ranges.push(...(this.flags.i ? foldRanges([lo, hi]) : [lo, hi]));
    }
    this.i = j + 1;
    this.push({ k: "cls", ranges: cleanRanges(part.ranges), props: part.props, neg });
  }

  private classCharAt(j: number): [number, number] {
    if (j >= this.c.length) throw new RegexSyntaxError("missing closing ]");
    if (this.c[j] === 0x5c) return this.escapeAt(j);
    return [this.c[j]!, j + 1];
  }
}

function esc(cp: number): string {
  return `\\u{${cp.toString(16)}}`;
}

function rangesJs(r: Ranges): string {
  let s = "";
  for (let i = 0; i < r.length; i += 2) s += r[i] === r[i + 1] ? esc(r[i]!) : `${esc(r[i]!)}-${esc(r[i + 1]!)}`;
  return s;
}

function emitJs(n: RxNode): string {
  switch (n.k) {
    case "lit": {
      const orbit = n.fold ? orbitOf(n.cp) : undefined;
      return orbit ? `[${orbit.map(esc).join("")}]` : esc(n.cp);
    }
    case "cls":
      return `[${n.neg ? "^" : ""}${rangesJs(n.ranges)}${n.props.join("")}]`;
    case "raw":
      return n.js;
    case "cat":
      return n.subs.length === 0 ? "(?:)" : n.subs.map(emitJs).join("");
    case "alt":
      return `(?:${n.subs.map(emitJs).join("|")})`;
    case "grp":
      return `(?:${emitJs(n.sub)})`;
    case "rep": {
      let q: string;
      if (!n.counted) q = n.min === 1 ? "+" : n.max === 1 ? "?" : "*";
      else q = n.max === -1 ? `{${n.min},}` : n.max === n.min ? `{${n.min}}` : `{${n.min},${n.max}}`;
      return `(?:${emitJs(n.sub)})${q}`;
    }
  }
}

/** Go `regexp.Compile(pattern)` as an equivalent JavaScript RegExp, or null where Go returns an error. */
function compileGoRegexp(pattern: string): RegExp | null {
  try {
    return new RegExp(emitJs(new Re2Parser(pattern).parse()), "u");
  } catch (err) {
    if (err instanceof RegexSyntaxError || err instanceof SyntaxError) return null;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------
// Go values: the type behind each JSON value, and how pointerstructure walks them
// ---------------------------------------------------------------------------------------------------

const K_STRING = 0;
const K_BOOL = 1;
const K_INT = 2;
const K_UINT = 3;
const K_FLOAT32 = 4;
const K_FLOAT64 = 5;
const K_BYTES = 6; // []byte
const K_TIME = 7; // time.Time (a struct value)
const K_MESSAGE = 8; // *SomeMessage
const K_LISTVALUE = 9; // *structpb.ListValue
const K_OPAQUE = 10; // *structpb.Value: a message with nothing reachable by json name
const K_SLICE = 11;
const K_MAP = 12; // map[string]T
const K_DYN = 13; // interface{} holding decoded JSON

interface GoType {
  readonly k: number;
  /** reflect.Kind's name, for panic messages ("uint32", "struct", ...). */
  readonly kindName: string;
  readonly fields?: ReadonlyMap<string, GoType>;
  readonly elem?: GoType;
}

const DYN: GoType = { k: K_DYN, kindName: "interface" };
const GO_STRING: GoType = { k: K_STRING, kindName: "string" };
const GO_INT: GoType = { k: K_INT, kindName: "int" };
const GO_UINT8: GoType = { k: K_UINT, kindName: "uint8" };
const GO_OPAQUE: GoType = { k: K_OPAQUE, kindName: "struct" };
const GO_LISTVALUE_VALUES: GoType = { k: K_SLICE, kindName: "slice", elem: GO_OPAQUE };

const structTypes = new WeakMap<FieldSchema, GoType>();

function structType(schema: FieldSchema): GoType {
  let t = structTypes.get(schema);
  if (!t) {
    const fields = new Map<string, GoType>();
    t = { k: K_MESSAGE, kindName: "struct", fields };
    structTypes.set(schema, t);
    for (const [name, ft] of Object.entries(schema)) fields.set(name, goType(ft));
  }
  return t;
}

function goType(ft: FieldType): GoType {
  switch (ft.kind) {
    case "string":
      return GO_STRING;
    case "bool":
      return { k: K_BOOL, kindName: "bool" };
    case "number": {
      const type = ft.type ?? "float64";
      const k = type.startsWith("uint") ? K_UINT : type.startsWith("int") ? K_INT : type === "float32" ? K_FLOAT32 : K_FLOAT64;
      return { k, kindName: type };
    }
    case "bytes":
      return { k: K_BYTES, kindName: "slice" };
    case "timestamp":
      return { k: K_TIME, kindName: "struct" };
    case "array":
      return { k: K_SLICE, kindName: "slice", elem: goType(ft.items) };
    case "object":
      return structType(ft.fields);
    case "map":
      return { k: K_MAP, kindName: "map", elem: goType(ft.values) };
    case "struct":
      return { k: K_MAP, kindName: "map", elem: DYN };
    case "listValue":
      return { k: K_LISTVALUE, kindName: "struct" };
    case "any":
      return DYN;
  }
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function bytesOf(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === "string" && v !== "") return Buffer.from(v, "base64");
  return new Uint8Array(0);
}

/** mapstructure's weak string -> int: "" is 0, otherwise strconv.ParseInt(s, 0, 64). */
function sliceIndex(part: string): number | null {
  const r = parseInt64(part === "" ? "0" : part);
  if (!r.ok) return null;
  return r.value < 0n || r.value > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(r.value);
}

const OK = 0;
const ABSENT = 1; // the last step missed a map key: the operator's NotPresentDisposition decides
const ERR = 2;

/** Output registers of {@link walk} (avoids an allocation per lookup). */
let rT: GoType = DYN;
let rV: unknown = undefined;

/** pointerstructure.Get over filterItem{Item: item}, plus evaluateNotPresent's "parent is a map". */
function walk(itemType: GoType, item: unknown, path: readonly string[]): number {
  if (path[0] !== "item") return ERR;
  let t = itemType;
  let v = item;
  const last = path.length - 1;
  for (let i = 1; i <= last; i++) {
    const part = path[i]!;
    switch (t.k) {
      case K_MESSAGE: {
        if (!isObject(v)) return ERR; // nil pointer: invalid value kind
        const ft = t.fields!.get(part);
        if (!ft) return ERR; // no such struct field
        v = v[part];
        t = ft;
        break;
      }
      case K_LISTVALUE:
        if (v === null || v === undefined || part !== "values") return ERR;
        t = GO_LISTVALUE_VALUES;
        break;
      case K_SLICE:
      case K_BYTES: {
        const arr = t.k === K_BYTES ? bytesOf(v) : Array.isArray(v) ? v : [];
        const idx = sliceIndex(part);
        if (idx === null || idx < 0 || idx >= arr.length) return ERR;
        v = arr[idx];
        t = t.k === K_BYTES ? GO_UINT8 : t.elem!;
        break;
      }
      case K_MAP: {
        if (!isObject(v) || !hasOwn(v, part) || v[part] === undefined) return i === last ? ABSENT : ERR;
        v = v[part];
        t = t.elem!;
        break;
      }
      case K_DYN: {
        if (Array.isArray(v)) {
          const idx = sliceIndex(part);
          if (idx === null || idx < 0 || idx >= v.length) return ERR;
          v = v[idx];
        } else if (isObject(v)) {
          if (!hasOwn(v, part) || v[part] === undefined) return i === last ? ABSENT : ERR;
          v = v[part];
        } else return ERR;
        break;
      }
      default:
        return ERR; // a primitive, a time.Time or an opaque message has nothing to descend into
    }
    // Boundary's hook returns reflect.ValueOf(nil) for a nil interface, which pointerstructure rejects.
    if (t.k === K_DYN && (v === null || v === undefined)) return ERR;
  }
  rT = t;
  rV = v;
  return OK;
}

interface LocalVar {
  readonly name: string;
  /** Set for a variable standing for a path (slice element, map value); null for a known value. */
  readonly path: readonly string[] | null;
  readonly t: GoType;
  readonly v: unknown;
}

/** go-bexpr's getValue: local variables of enclosing any/all first, innermost first, then the datum. */
function getValue(itemType: GoType, item: unknown, path: readonly string[], env: readonly LocalVar[] | null): number {
  if (env !== null && path.length > 0) {
    for (let i = env.length - 1; i >= 0; i--) {
      const lv = env[i]!;
      if (path[0] !== lv.name) continue;
      if (lv.path === null) {
        if (path.length > 1) return ERR;
        rT = lv.t;
        rV = lv.v;
        return OK;
      }
      path = [...lv.path, ...path.slice(1)];
    }
  }
  return walk(itemType, item, path);
}

// ---------------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------------

const F = 0;
const T = 1;
const E = 2; // evaluation error: the item does not match, whatever surrounds it
type Tri = 0 | 1 | 2;
type Eval = (item: unknown, env: readonly LocalVar[] | null) => Tri;

function panicLen(t: GoType, v: unknown): never {
  const kind = (t.k === K_MESSAGE || t.k === K_LISTVALUE || t.k === K_OPAQUE) && (v === null || v === undefined)
    ? null
    : t.k === K_DYN
      ? typeof v === "number" ? "float64" : typeof v === "boolean" ? "bool" : "interface"
      : t.kindName;
  throw new FilterPanicError(`reflect: call of reflect.Value.Len on ${kind === null ? "zero" : kind} Value`);
}

function panicTypeOfNil(): never {
  throw new FilterPanicError("reflect: call of reflect.Value.Type on zero Value");
}

const isNilPointer = (t: GoType, v: unknown): boolean =>
  (t.k === K_MESSAGE || t.k === K_LISTVALUE || t.k === K_OPAQUE) && (v === null || v === undefined || typeof v !== "object");

function strOf(v: unknown): string {
  return typeof v === "string" ? v : v === null || v === undefined ? "" : String(v);
}

function numOf(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "string") return Number(v);
  return 0;
}

/** The literal of one match expression, coerced lazily to each Go kind it meets (getMatchExprValue). */
class Literal {
  private b?: Conv<boolean>;
  private i?: Conv<bigint>;
  private u?: Conv<bigint>;
  private f32?: Conv<number>;
  private f64?: Conv<number>;
  private re?: RegExp | null;
  constructor(readonly raw: string) {}
  bool(): Conv<boolean> {
    return (this.b ??= parseBool(this.raw));
  }
  int(): Conv<bigint> {
    return (this.i ??= parseInt64(this.raw));
  }
  uint(): Conv<bigint> {
    return (this.u ??= parseUint64(this.raw));
  }
  float32(): Conv<number> {
    return (this.f32 ??= parseFloatGo(this.raw, 32));
  }
  float64(): Conv<number> {
    return (this.f64 ??= parseFloatGo(this.raw, 64));
  }
  regexp(): RegExp | null {
    if (this.re === undefined) this.re = compileGoRegexp(this.raw);
    return this.re;
  }
}

function intEquals(lit: bigint, v: unknown): boolean {
  if (typeof v === "number") {
    if (lit >= -9007199254740991n && lit <= 9007199254740991n) return v === Number(lit);
    return Number.isInteger(v) && BigInt(v) === lit;
  }
  if (v === null || v === undefined) return lit === 0n;
  if (typeof v === "bigint") return v === lit;
  if (typeof v === "string") {
    try {
      return BigInt(v) === lit;
    } catch {
      return false;
    }
  }
  return false;
}

/**
 * go-bexpr's primitive equality between the literal and a value of kind `k`. Returns E where Go has
 * no comparison function or the literal does not convert.
 */
function primitiveEquals(k: number, lit: Literal, v: unknown): Tri {
  switch (k) {
    case K_STRING:
      return strOf(v) === lit.raw ? T : F;
    case K_BOOL: {
      const b = lit.bool();
      return !b.ok ? E : b.value === (v === true) ? T : F;
    }
    case K_INT: {
      const n = lit.int();
      return !n.ok ? E : intEquals(n.value, v) ? T : F;
    }
    case K_UINT: {
      const n = lit.uint();
      return !n.ok ? E : intEquals(n.value, v) ? T : F;
    }
    case K_FLOAT32: {
      const f = lit.float32();
      return !f.ok ? E : f.value === Math.fround(numOf(v)) ? T : F;
    }
    case K_FLOAT64: {
      const f = lit.float64();
      return !f.ok ? E : f.value === numOf(v) ? T : F;
    }
    default:
      return E;
  }
}

/** The Go kind of a decoded-JSON value (encoding/json: numbers are float64). */
function dynKind(v: unknown): number {
  switch (typeof v) {
    case "string":
      return K_STRING;
    case "number":
      return K_FLOAT64;
    case "boolean":
      return K_BOOL;
    default:
      return Array.isArray(v) ? K_SLICE : K_MAP;
  }
}

function doEqual(t: GoType, v: unknown, lit: Literal): Tri {
  return primitiveEquals(t.k === K_DYN ? dynKind(v) : t.k, lit, v);
}

function doIn(t: GoType, v: unknown, lit: Literal): Tri {
  let k = t.k;
  if (k === K_DYN) {
    k = dynKind(v);
    if (k === K_SLICE) return dynSliceContains(v as unknown[], lit);
    if (k === K_MAP) return hasOwn(v as object, lit.raw) && (v as Record<string, unknown>)[lit.raw] !== undefined ? T : F;
  }
  switch (k) {
    case K_STRING:
      return strOf(v).includes(lit.raw) ? T : F;
    case K_MAP:
      return isObject(v) && hasOwn(v, lit.raw) && v[lit.raw] !== undefined ? T : F;
    case K_BYTES: {
      const n = lit.uint();
      if (!n.ok) return E;
      for (const b of bytesOf(v)) if (BigInt(b) === n.value) return T;
      return F;
    }
    case K_SLICE: {
      const elem = t.elem!;
      const arr = Array.isArray(v) ? v : [];
      if (elem.k === K_DYN) return dynSliceContains(arr, lit);
      // Concrete element type: the literal is converted (and a comparison found) before looking at
      // any element, so an empty slice of structs still errors.
      for (let i = -1; i < arr.length; i++) {
        const r = primitiveEquals(elem.k, lit, i < 0 ? undefined : arr[i]);
        if (r === E) return E;
        if (r === T && i >= 0) return T;
      }
      return F;
    }
    default:
      return E;
  }
}

/** `in` over []interface{}: per element kind; a literal that does not parse as that kind is skipped. */
function dynSliceContains(arr: readonly unknown[], lit: Literal): Tri {
  for (const el of arr) {
    if (el === null || el === undefined) panicTypeOfNil();
    const k = dynKind(el);
    if (k === K_FLOAT64 || k === K_BOOL) {
      const c = k === K_FLOAT64 ? lit.float64() : lit.bool();
      if (!c.ok) {
        if (c.range) return E;
        continue;
      }
    }
    const r = primitiveEquals(k, lit, el);
    if (r !== F) return r;
  }
  return F;
}

function doIsEmpty(t: GoType, v: unknown): Tri {
  switch (t.k) {
    case K_STRING:
      return strOf(v).length === 0 ? T : F;
    case K_SLICE:
      return !Array.isArray(v) || v.length === 0 ? T : F;
    case K_BYTES:
      return bytesOf(v).length === 0 ? T : F;
    case K_MAP:
      return !isObject(v) || Object.keys(v).every((key) => v[key] === undefined) ? T : F;
    case K_DYN:
      if (typeof v === "string") return v.length === 0 ? T : F;
      if (Array.isArray(v)) return v.length === 0 ? T : F;
      if (isObject(v)) return Object.keys(v).every((key) => v[key] === undefined) ? T : F;
      return panicLen(t, v);
    default:
      return panicLen(t, v);
  }
}

function doMatches(t: GoType, v: unknown, lit: Literal): Tri {
  if (isNilPointer(t, v)) panicTypeOfNil();
  let subject: string;
  if (t.k === K_STRING || (t.k === K_DYN && typeof v === "string")) subject = strOf(v);
  else if (t.k === K_BYTES) subject = utf8Decoder.decode(bytesOf(v));
  else return E; // not convertible to []byte
  const re = lit.regexp();
  if (re === null) return E; // go-bexpr compiles the pattern here, at evaluation, not at parse
  return re.test(subject) ? T : F;
}

const invert = (r: Tri): Tri => (r === E ? E : r === T ? F : T);

function compileNode(ast: Ast, itemType: GoType): Eval {
  switch (ast.k) {
    case "or": {
      const left = compileNode(ast.left, itemType);
      const right = compileNode(ast.right, itemType);
      return (item, env) => {
        const r = left(item, env);
        return r !== F ? r : right(item, env);
      };
    }
    case "and": {
      const left = compileNode(ast.left, itemType);
      const right = compileNode(ast.right, itemType);
      return (item, env) => {
        const r = left(item, env);
        return r !== T ? r : right(item, env);
      };
    }
    case "not": {
      const operand = compileNode(ast.operand, itemType);
      return (item, env) => invert(operand(item, env));
    }
    case "match":
      return compileMatch(ast, itemType);
    case "coll":
      return compileCollection(ast, itemType);
  }
}

function compileMatch(ast: Extract<Ast, { k: "match" }>, itemType: GoType): Eval {
  const path = ast.sel.path;
  const lit = new Literal(ast.value ?? "");
  // NotPresentDisposition: a missing map key equals nothing, contains nothing, matches nothing and is
  // empty; the negated operators are true.
  const absent: Tri = ast.op === "!=" || ast.op === "not in" || ast.op === "is empty" || ast.op === "not matches" ? T : F;
  let op: (t: GoType, v: unknown) => Tri;
  switch (ast.op) {
    case "==":
      op = (t, v) => doEqual(t, v, lit);
      break;
    case "!=":
      op = (t, v) => invert(doEqual(t, v, lit));
      break;
    case "in":
      op = (t, v) => doIn(t, v, lit);
      break;
    case "not in":
      op = (t, v) => invert(doIn(t, v, lit));
      break;
    case "is empty":
      op = doIsEmpty;
      break;
    case "is not empty":
      op = (t, v) => invert(doIsEmpty(t, v));
      break;
    case "matches":
      op = (t, v) => doMatches(t, v, lit);
      break;
    case "not matches":
      op = (t, v) => invert(doMatches(t, v, lit));
      break;
  }
  return (item, env) => {
    const st = getValue(itemType, item, path, env);
    if (st === ERR) return E;
    if (st === ABSENT) return absent;
    return op(rT, rV);
  };
}

function compileCollection(ast: Extract<Ast, { k: "coll" }>, itemType: GoType): Eval {
  const inner = compileNode(ast.inner, itemType);
  const path = ast.sel.path;
  const all = ast.op === "all";
  const { mode, def, index, value } = ast.bind;
  const clash = mode === "indexValue" && index === value;
  return (item, env) => {
    const st = getValue(itemType, item, path, env);
    if (st === ERR) return E;
    if (st === ABSENT) return all ? T : F;
    const t = rT;
    const v = rV;
    let keys: string[] | null = null;
    let length: number;
    if (t.k === K_SLICE || (t.k === K_DYN && Array.isArray(v))) {
      length = Array.isArray(v) ? v.length : 0;
    } else if (t.k === K_BYTES) {
      length = bytesOf(v).length;
    } else if (t.k === K_MAP || (t.k === K_DYN && isObject(v))) {
      keys = isObject(v) ? Object.keys(v).filter((key) => v[key] !== undefined) : [];
      length = keys.length;
    } else {
      return E; // "<selector> is not a list or a map" (a message pointer is a Ptr, not a struct)
    }
    for (let i = 0; i < length; i++) {
      if (clash) return E;
      const vars: LocalVar[] = [];
      if (keys !== null) {
        const key = keys[i]!;
        if (def !== "") vars.push({ name: def, path: null, t: GO_STRING, v: key });
        if (index !== "") vars.push({ name: index, path: null, t: GO_STRING, v: key });
        if (value !== "") vars.push({ name: value, path: [...path, key], t: DYN, v: undefined });
      } else {
        if (index !== "") vars.push({ name: index, path: null, t: GO_INT, v: i });
        if (def !== "") vars.push({ name: def, path: [...path, String(i)], t: DYN, v: undefined });
        if (value !== "") vars.push({ name: value, path: [...path, String(i)], t: DYN, v: undefined });
      }
      const r = inner(item, env === null ? vars : [...env, ...vars]);
      if (r === E) return E;
      if (r === T && !all) return T;
      if (r === F && all) return F;
    }
    return all ? T : F;
  };
}
