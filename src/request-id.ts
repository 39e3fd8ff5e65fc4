/**
 * Request ids (`x-request-id`): the client's when it is sane, else one made here. A made id is a random
 * per-process prefix and a counter: unique across processes and restarts without a random draw per
 * request.
 */
import { createHash, randomBytes } from "node:crypto";

/** What a client's id may be: short, and nothing a log line or header could be abused with. */
const SANE = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

const prefix = randomBytes(6).toString("base64url");
let counter = 0;

export function requestIdOf(sent: string | string[] | undefined): string {
  if (typeof sent === "string" && SANE.test(sent)) return sent;
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${prefix}-${counter.toString(36)}`;
}

/**
 * The id of one operation of a connection (a WebSocket's `subscribe`): `<connection id>:<operation id>`,
 * so that a client can find an operation's errors and log lines from the ids it already holds. When the
 * two do not make a sane id (a client's operation id may be any string), the operation id is replaced by
 * a digest of it: the same operation still gets the same id on every message, without a table to keep.
 */
export function operationRequestId(connectionId: string, operationId: string): string {
  const id = `${connectionId}:${operationId}`;
  if (SANE.test(id)) return id;
  const digest = createHash("sha256").update(operationId).digest("base64url").slice(0, 16);
  // A sane connection id is at most 128 characters; kept to 100 so the whole stays within the limit.
  return `${connectionId.slice(0, 100)}:${digest}`;
}
