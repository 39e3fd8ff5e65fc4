/**
 * List tokens: opaque base58 of a JSON payload followed by an HMAC over it with a per-emulator secret.
 * The controller's tokens are unsigned protobuf, but its grants hash and create time live in the
 * database-backed check; here the signature is what makes a client unable to forge a token that dodges
 * the expiry, resource-type or grants checks.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { base58Decode, base58Encode } from "./base58.js";
import { US_PER_S } from "./time.js";

export type ListResourceType = "session" | "scope";

/** `internal/listtoken`: how long a token lives, counted from the original listing. */
export const LIST_TOKEN_TTL_US = 30 * 24 * 3600 * US_PER_S;

interface TokenBase {
  resourceType: ListResourceType;
  /** Time of the original (token-less) listing; never changes through refreshes. */
  createUs: number;
  grantsHash: string;
}

export interface PaginationToken extends TokenBase {
  kind: "pagination";
  lastItemId: string;
  lastItemCreateUs: number;
}

export interface StartRefreshToken extends TokenBase {
  kind: "start-refresh";
  previousDeletedIdsUs: number;
  previousPhaseUpperBoundUs: number;
}

export interface RefreshToken extends TokenBase {
  kind: "refresh";
  previousDeletedIdsUs: number;
  phaseLowerBoundUs: number;
  phaseUpperBoundUs: number;
  lastItemId: string;
  lastItemUpdateUs: number;
}

export type ListToken = PaginationToken | StartRefreshToken | RefreshToken;

const MAC_BYTES = 16;

/** Why a token was refused: `malformed` is a 500 at the controller, `invalid` a 400 `invalid list token`. */
export class ListTokenError extends Error {
  constructor(
    readonly reason: "malformed" | "invalid",
    message: string,
  ) {
    super(message);
    this.name = "ListTokenError";
  }
}

const RESOURCE_TYPES: readonly ListResourceType[] = ["session", "scope"];

export class ListTokenCodec {
  private readonly secret = randomBytes(32);

  encode(token: ListToken): string {
    const payload = Buffer.from(JSON.stringify(pack(token)), "utf8");
    return base58Encode(Buffer.concat([payload, this.mac(payload)]));
  }

  /** Decode and check a token, in the order of `listtoken.Validate`. Throws ListTokenError. */
  decode(text: string, expected: ListResourceType, grantsHash: string, nowUs: number): ListToken {
    const raw = base58Decode(text);
    if (!raw) {
      // mr-tron/base58's errors for an empty string and for a character outside the alphabet.
      const bad = [...text].find((c) => !/[1-9A-HJ-NP-Za-km-z]/.test(c));
      throw new ListTokenError(
        "malformed",
        parseFailure(bad === undefined ? "zero length string" : `invalid base58 digit (${JSON.stringify(bad)})`),
      );
    }
    const payload = raw.subarray(0, Math.max(0, raw.length - MAC_BYTES));
    const mac = raw.subarray(payload.length);
    const token =
      mac.length === MAC_BYTES && timingSafeEqual(mac, this.mac(payload)) ? unpack(Buffer.from(payload).toString("utf8")) : undefined;
    if (!token) throw new ListTokenError("malformed", parseFailure("proto: cannot parse invalid wire-format data"));
    if (token.grantsHash !== grantsHash) throw new ListTokenError("invalid", "grants have changed since list token was issued");
    if (token.createUs < nowUs - LIST_TOKEN_TTL_US) throw new ListTokenError("invalid", "list token was expired");
    if (token.resourceType !== expected) {
      throw new ListTokenError("invalid", "list token resource type does not match expected resource type");
    }
    return token;
  }

  private mac(payload: Uint8Array): Buffer {
    return createHmac("sha256", this.secret).update(payload).digest().subarray(0, MAC_BYTES);
  }
}

/**
 * The controller's text for a token it cannot decode: `handlers.ParseListToken` wraps the base58 or
 * protobuf error with `errors.Wrap(ctx, err, op)`, a domain error of code Unknown, which prints as
 * "op: unknown, unknown: error #0: cause" and reaches the caller as a 500 `Internal`
 * (internal/daemon/controller/handlers/list_token.go, internal/errors/error.go `Error`).
 */
function parseFailure(cause: string): string {
  return `handlers.ParseListToken: unknown, unknown: error #0: ${cause}`;
}

/** A positional array keeps tokens short (they travel in every list URL). */
function pack(t: ListToken): unknown[] {
  const head = [1, RESOURCE_TYPES.indexOf(t.resourceType), t.createUs, t.grantsHash];
  switch (t.kind) {
    case "pagination":
      return [...head, 0, t.lastItemId, t.lastItemCreateUs];
    case "start-refresh":
      return [...head, 1, t.previousDeletedIdsUs, t.previousPhaseUpperBoundUs];
    case "refresh":
      return [...head, 2, t.previousDeletedIdsUs, t.phaseLowerBoundUs, t.phaseUpperBoundUs, t.lastItemId, t.lastItemUpdateUs];
  }
}

function unpack(text: string): ListToken | undefined {
  let a: unknown;
  try {
    a = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(a) || a[0] !== 1) return undefined;
  const resourceType = RESOURCE_TYPES[a[1] as number];
  const base = { resourceType, createUs: a[2] as number, grantsHash: a[3] as string };
  if (!resourceType) return undefined;
  switch (a[4]) {
    case 0:
      return { ...base, kind: "pagination", lastItemId: a[5], lastItemCreateUs: a[6] };
    case 1:
      return { ...base, kind: "start-refresh", previousDeletedIdsUs: a[5], previousPhaseUpperBoundUs: a[6] };
    case 2:
      return {
        ...base,
        kind: "refresh",
        previousDeletedIdsUs: a[5],
        phaseLowerBoundUs: a[6],
        phaseUpperBoundUs: a[7],
        lastItemId: a[8],
        lastItemUpdateUs: a[9],
      };
    default:
      return undefined;
  }
}
