import { HostSet } from "../types/host-set.type.js";
import { owningScopeResolver } from "./owning-scope.js";

export const HostSetResolver = owningScopeResolver(
  HostSet,
  "hostSet",
  "The project of the host set's catalog (from the scope info embedded in the host set; full scope fields are read once per scope per request).",
);
