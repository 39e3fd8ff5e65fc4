import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import type { GatewayContext } from "../context.js";
import { HostSet } from "../types/host-set.type.js";
import { Scope } from "../types/scope.type.js";
import { owningScope } from "./owning-scope.js";

@Resolver(() => HostSet)
export class HostSetResolver {
  @FieldResolver(() => Scope, { description: "The project of the host set's catalog (from the scope info embedded in the host set; full scope fields are read once per scope per request)." })
  scope(@Root() hostSet: HostSet, @Ctx() ctx: GatewayContext): Promise<Scope> {
    return owningScope(hostSet, "GET /v1/host-sets/{id}", ctx);
  }
}
