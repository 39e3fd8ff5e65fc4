import { Target } from "../types/target.type.js";
import { owningScopeResolver } from "./owning-scope.js";

export const TargetResolver = owningScopeResolver(
  Target,
  "target",
  "The project the target belongs to (from the scope info embedded in the target; full scope fields are read once per scope per request).",
);
