import { GraphQLError, GraphQLScalarType, Kind } from "graphql";

/** RFC 3339 date-time with an explicit offset (Boundary always sends UTC with `Z`). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

/** The shape Boundary always sends (`YYYY-MM-DDTHH:MM:SS[.f]Z`), checked by position: no regex for the
 * hundreds of timestamps in a page. Anything else takes the full check. */
function isControllerTimestamp(v: string): boolean {
  const n = v.length;
  return (
    n >= 20 &&
    n <= 30 &&
    v.charCodeAt(n - 1) === 90 /* Z */ &&
    v.charCodeAt(4) === 45 &&
    v.charCodeAt(7) === 45 &&
    v.charCodeAt(10) === 84 /* T */ &&
    v.charCodeAt(13) === 58 &&
    v.charCodeAt(16) === 58 &&
    (n === 20 || v.charCodeAt(19) === 46)
  );
}

function check(value: unknown): string {
  if (typeof value === "string" && isControllerTimestamp(value)) return value;
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
  if (typeof value === "string" && RFC3339.test(value) && !Number.isNaN(Date.parse(value))) return value;
  throw new GraphQLError(`DateTime cannot represent ${JSON.stringify(value)}: expected an RFC 3339 date-time`);
}

/**
 * ISO-8601 / RFC 3339 date-time strings. Written here rather than taken from graphql-scalars because
 * its DateTime turns strings into JS Dates, which drops the controller's microseconds; this one passes
 * the controller's text through unchanged after checking it.
 */
export const DateTimeScalar = new GraphQLScalarType<string, string>({
  name: "DateTime",
  description:
    "A date-time string in RFC 3339 form (ISO 8601), e.g. `2025-03-01T10:00:00.123456Z`. Values from Boundary are passed through with their full precision (up to nanoseconds), always in UTC.",
  specifiedByURL: "https://scalars.graphql.org/andimarek/date-time",
  serialize: check,
  parseValue: check,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError("DateTime literals must be strings", { nodes: ast });
    return check(ast.value);
  },
});

/**
 * A JSON object passed through as the controller sends it: type-specific `attributes` and a scope's
 * `authorized_collection_actions`, whose keys depend on the resource type (and on Enterprise plugins),
 * so the schema cannot name them.
 */
export { GraphQLJSONObject as JSONObjectScalar } from "graphql-scalars";
