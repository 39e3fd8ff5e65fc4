/**
 * The key a guard counts a caller under: a hash of its Authorization header, so no guard keeps or
 * logs a token. Requests without one share the key "anonymous".
 */
import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export function tokenKey(headers: IncomingHttpHeaders): string {
  const authorization = headers.authorization;
  if (!authorization) return "anonymous";
  return createHash("sha256").update(authorization).digest("base64url").slice(0, 22);
}
