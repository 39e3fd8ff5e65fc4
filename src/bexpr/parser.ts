/**
 * The parser: pigeon's PEG runtime replayed over go-bexpr's grammar (hashicorp/go-bexpr
 * grammar/grammar.peg), with its error text and its 2,000,000-expression budget.
 */
import { goUnquote } from "./strconv.js";
import { FilterSyntaxError } from "./types.js";

export type MatchOp = "==" | "!=" | "in" | "not in" | "is empty" | "is not empty" | "matches" | "not matches";

export interface Selector {
  readonly type: "bexpr" | "pointer";
  readonly path: readonly string[];
}

export interface Binding {
  readonly mode: "default" | "index" | "value" | "indexValue";
  readonly def: string;
  readonly index: string;
  readonly value: string;
}

export type Ast =
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
const constant =
  (v: unknown): Action =>
  () =>
    ok(v);
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
          ch(
            ref("MatchEqual"),
            ref("MatchNotEqual"),
            ref("MatchContains"),
            ref("MatchNotContains"),
            ref("MatchMatches"),
            ref("MatchNotMatches"),
          ),
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
      act(
        seq(lab("value", ref("Value")), lab("operator", ch(ref("MatchIn"), ref("MatchNotIn"))), lab("selector", ref("Selector"))),
        matchSelectorOpValue,
      ),
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
          plus(
            cls("[\\pL\\pN-_.~:|]", (cp) => "-_.~:|".includes(String.fromCodePoint(cp)) || isLetterOrNumber.test(String.fromCodePoint(cp))),
          ),
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
        star(
          cls(
            "[a-zA-Z0-9_/]",
            (cp) => (cp >= 97 && cp <= 122) || (cp >= 65 && cp <= 90) || (cp >= 48 && cp <= 57) || cp === 95 || cp === 47,
          ),
        ),
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
      ch(
        lit("0"),
        seq(
          cls("[1-9]", (cp) => cp >= 49 && cp <= 57),
          star(cls("[0-9]", (cp) => cp >= 48 && cp <= 57)),
        ),
      ),
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
      seq(
        ch(seq(lit("`"), star(ref("RawStringChar"))), seq(lit('"'), star(ref("DoubleStringChar")))),
        ref("EOF"),
        andc("Unterminated string literal"),
      ),
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

export function parseFilter(source: string): Ast {
  return new PegParser(source).parse();
}
