/** The controller's error replies (`internal/daemon/controller/handlers/errors.go`), as throwable values. */
import type { WireError } from "../boundary/wire.js";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: WireError,
  ) {
    super(`${status} ${body.kind}: ${body.message}`);
    this.name = "ApiError";
  }
}

export const notFound = (): ApiError => new ApiError(404, { kind: "NotFound", message: "Resource not found." });

export const methodNotAllowed = (): ApiError =>
  // grpc-gateway answers Unimplemented for a known path with the wrong method; Boundary maps it to 405.
  new ApiError(405, { kind: "Unimplemented", message: "Method Not Allowed" });

export const unauthenticated = (): ApiError =>
  new ApiError(401, { kind: "Unauthenticated", message: "Unauthenticated, or invalid token." });

export const forbidden = (): ApiError => new ApiError(403, { kind: "PermissionDenied", message: "Forbidden." });

/** 401 for the anonymous user, 403 for a real one (auth.go `Verify`). */
export const denied = (anonymous: boolean): ApiError => (anonymous ? unauthenticated() : forbidden());

export function invalidArgument(message: string, fields: Record<string, string>): ApiError {
  const names = Object.keys(fields).sort();
  const body: WireError = { kind: "InvalidArgument", message };
  if (names.length > 0) body.details = { request_fields: names.map((name) => ({ name, description: fields[name] })) };
  return new ApiError(400, body);
}

export const internal = (message: string): ApiError => new ApiError(500, { kind: "Internal", message });

export const invalidListToken = (message: string): ApiError =>
  new ApiError(400, { kind: "invalid list token", op: "listtoken.Validate", message });

/** Kind for a status without a handler-specific body (fault injection). */
export function kindForStatus(status: number): WireError {
  switch (status) {
    case 400:
      return { kind: "InvalidArgument", message: "Error in provided request." };
    case 401:
      return unauthenticated().body;
    case 403:
      return forbidden().body;
    case 404:
      return notFound().body;
    case 405:
      return methodNotAllowed().body;
    case 504:
      return { kind: "DeadlineExceeded", message: "Gateway Timeout" };
    default:
      return { kind: "Internal", message: `emulator: injected ${status}` };
  }
}
