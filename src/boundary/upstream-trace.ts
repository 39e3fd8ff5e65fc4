/**
 * What the upstream funnel tells a tracer about each attempt. Boundary knows no tracing library: the
 * gateway binds one of these to a request's call scope only when tracing is on, so with it off an
 * upstream call pays one undefined check.
 */
export interface UpstreamTrace {
  /**
   * An attempt is about to be sent: `endpoint` is the route template (`GET /v1/sessions/{id}`),
   * `attempt` counts from 1. May add propagation headers (`traceparent`) to `headers`. Returns what to
   * call when the attempt ends, with the HTTP status (0 when none came) and the failure, if any.
   */
  start(endpoint: string, attempt: number, headers: Record<string, string>): (status: number, error: unknown) => void;
}
