/**
 * go-bexpr (hashicorp/go-bexpr v0.1.15), as the Boundary controller evaluates list filters
 * (internal/daemon/controller/handlers/filter.go). Shared by the gateway, which checks callers' filters,
 * and the embedded emulator, which applies them; it depends on neither.
 */
export { compileFilter } from "./evaluate.js";
export { parseFilter, type Ast } from "./parser.js";
export { SCOPE_FIELDS, SCOPE_INFO_FIELDS, SESSION_FIELDS } from "./schemas.js";
export {
  FilterPanicError,
  FilterSyntaxError,
  type CompileFilterOptions,
  type FieldSchema,
  type FieldType,
  type FilterPredicate,
  type NumberType,
} from "./types.js";
