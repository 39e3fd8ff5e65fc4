import { BoundaryProtocolError } from "../../boundary/errors.js";
import type { GatewayContext } from "../context.js";
import type { Scope } from "../types/scope.type.js";

/**
 * The scope a resource lives in. The scope info embedded in every read answers id, type, name,
 * description and parent with no call; ScopeResolver loads the rest (one read per distinct scope per
 * request) only when selected. Without embedded info, the scope is loaded by id.
 */
export async function owningScope(owner: { scopeInfo?: Scope; scopeId?: string }, endpoint: string, ctx: GatewayContext): Promise<Scope> {
  if (owner.scopeInfo) return owner.scopeInfo;
  if (owner.scopeId) return ctx.loaders.scope.load(owner.scopeId);
  throw new BoundaryProtocolError(endpoint, "the resource names no scope");
}
