/**
 * Go strconv, as go-bexpr's coercions (hashicorp/go-bexpr coerce.go) and the grammar's string
 * literals (`strconv.Unquote` in grammar/grammar.peg) use it.
 */

/** A failed conversion; `range` tells strconv.ErrRange from strconv.ErrSyntax. */
export interface ConvError {
  readonly ok: false;
  readonly range: boolean;
}
export type Conv<V> = { readonly ok: true; readonly value: V } | ConvError;

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
export function parseUint64(s: string): Conv<bigint> {
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
export function parseInt64(s: string): Conv<bigint> {
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
export function parseBool(s: string): Conv<boolean> {
  switch (s) {
    case "1":
    case "t":
    case "T":
    case "TRUE":
    case "true":
    case "True":
      return { ok: true, value: true };
    case "0":
    case "f":
    case "F":
    case "FALSE":
    case "false":
    case "False":
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
export function parseFloatGo(s: string, bits: 32 | 64): Conv<number> {
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

export const utf8Decoder = new TextDecoder("utf-8");

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
export function goUnquote(text: string): string | null {
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
  for (let i = 0; i < cps.length;) {
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
      case 0x61:
        bytes.push(7);
        break; // \a
      case 0x62:
        bytes.push(8);
        break; // \b
      case 0x66:
        bytes.push(12);
        break; // \f
      case 0x6e:
        bytes.push(10);
        break; // \n
      case 0x72:
        bytes.push(13);
        break; // \r
      case 0x74:
        bytes.push(9);
        break; // \t
      case 0x76:
        bytes.push(11);
        break; // \v
      case 0x5c:
        bytes.push(0x5c);
        break;
      case 0x22:
        bytes.push(0x22);
        break;
      case 0x78: // \xHH
      case 0x75: // \uHHHH
      case 0x55: {
        // \UHHHHHHHH
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
