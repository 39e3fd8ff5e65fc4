/**
 * Request ids (`x-request-id`): the client's when it is sane, else one made here. A made id is a random
 * per-process prefix and a counter: unique across processes and restarts without a random draw per
 * request.
 */
import { randomBytes } from "node:crypto";

/** What a client's id may be: short, and nothing a log line or header could be abused with. */
const SANE = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

const prefix = randomBytes(6).toString("base64url");
let counter = 0;

export function requestIdOf(sent: string | string[] | undefined): string {
  if (typeof sent === "string" && SANE.test(sent)) return sent;
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${prefix}-${counter.toString(36)}`;
}
