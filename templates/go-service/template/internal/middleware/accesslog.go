package middleware

import (
	"log/slog"
	"net/http"
	"slices"
	"time"
)

// AccessLog logs one line, "request", when each request ends: method, route (the matched
// pattern), path, status (what the client got; 0 for nothing), bytes and duration in
// nanoseconds, and, through the request's context, its request ID and trace context. Requests to
// the routes named in quiet, such as the probes, are logged at DEBUG so they do not drown the
// rest; all others at INFO.
func AccessLog(logger *slog.Logger, quiet ...string) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			r, route := withRouteRecord(r)
			rw := record(w)
			returned := false
			// Deferred, so that a request whose handler aborts it with http.ErrAbortHandler
			// gets its line too, with status 0: the server sends nothing.
			defer func() {
				name := route.get()
				level := slog.LevelInfo
				if slices.Contains(quiet, name) {
					level = slog.LevelDebug
				}
				logger.LogAttrs(r.Context(), level, "request",
					slog.String("method", r.Method),
					slog.String("route", name),
					slog.String("path", r.URL.Path),
					slog.Int("status", rw.statusAfter(returned)),
					slog.Int64("bytes", rw.bytes),
					slog.Duration("duration", time.Since(start)),
				)
			}()
			next.ServeHTTP(rw, r)
			returned = true
		})
	}
}
