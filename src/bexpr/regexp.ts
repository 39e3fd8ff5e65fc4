/**
 * `matches` / `not matches`: go-bexpr compiles the value with Go's `regexp.Compile` when the operator is
 * evaluated (go-bexpr evaluate.go, `doMatchMatches`) and calls `MatchString` on the subject. RE2JS is
 * a port of Go's RE2 (regexp/syntax with Perl flags, as `regexp.Compile` uses), so it accepts and rejects
 * the same patterns, and it matches in time linear in the subject: a filter such as
 * `"/item/endpoint" matches "^(.*)*!$"` costs no more than any other, where a backtracking engine would
 * spin for as long as the subject is long.
 */
import { RE2JS } from "re2js";

export interface GoRegexp {
  /** Whether the pattern matches anywhere in `subject` (Go `(*Regexp).MatchString`: unanchored). */
  test(subject: string): boolean;
}

/** Go `regexp.Compile(pattern)`, or null where it returns an error (the item then does not match). */
export function compileGoRegexp(pattern: string): GoRegexp | null {
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch {
    // RE2JSSyntaxException and friends: `regexp.Compile` returned an error.
    return null;
  }
  return { test: (subject) => re.test(subject) };
}
