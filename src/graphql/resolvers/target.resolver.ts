import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import type { GatewayContext } from "../context.js";
import { Scope } from "../types/scope.type.js";
import { Target } from "../types/target.type.js";
import { owningScope } from "./owning-scope.js";

@Resolver(() => Target)
export class TargetResolver {
  @FieldResolver(() => Scope, { description: "The project the target belongs to (from the scope info embedded in the target; full scope fields are read once per scope per request)." })
  scope(@Root() target: Target, @Ctx() ctx: GatewayContext): Promise<Scope> {
    return owningScope(target, "GET /v1/targets/{id}", ctx);
  }
}
