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
 * - `matches` compiles the pattern with RE2JS, a port of Go's RE2, so the syntax is Go `regexp.Compile`'s
 *   and matching takes linear time (./regexp.ts).
 *
 * The parser is ./parser.ts, Go's strconv ./strconv.ts; this file is the evaluator.
 *
 * Where go-bexpr would panic (`is empty` on a number, a timestamp or a nil message; `matches` on a nil
 * message), Boundary's gRPC recovery interceptor answers 500; the predicate throws
 * {@link FilterPanicError} for that unless told otherwise.
 */

import { parseFilter, type Ast } from "./parser.js";
import { compileGoRegexp, type GoRegexp } from "./regexp.js";
import { parseBool, parseFloatGo, parseInt64, parseUint64, utf8Decoder, type Conv } from "./strconv.js";
import { FilterPanicError, type CompileFilterOptions, type FieldSchema, type FieldType, type FilterPredicate } from "./types.js";

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
  const kind =
    (t.k === K_MESSAGE || t.k === K_LISTVALUE || t.k === K_OPAQUE) && (v === null || v === undefined)
      ? null
      : t.k === K_DYN
        ? typeof v === "number"
          ? "float64"
          : typeof v === "boolean"
            ? "bool"
            : "interface"
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
  private re?: GoRegexp | null;
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
  regexp(): GoRegexp | null {
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
