package middleware

import (
	"log/slog"
	"net/http"
	"slices"
	"time"
)

// AccessLog logs one line per request once it is answered: method, route (the matched
// pattern), path, status, bytes, duration (since the chain's first piece saw the request), and,
// through the request's context, its request and trace IDs. Requests to the routes named in quiet, such as the probes, are logged at DEBUG so
// they do not drown the rest; all others at INFO.
func AccessLog(logger *slog.Logger, quiet ...string) Middleware {
	h := logger.Handler()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := startOf(r)
			rw := record(w, r)
			next.ServeHTTP(rw, r)
			level := slog.LevelInfo
			if slices.Contains(quiet, r.Pattern) {
				level = slog.LevelDebug
			}
			ctx := r.Context()
			if !h.Enabled(ctx, level) {
				return
			}
			// A record of our own, with no caller's program counter: slog's Logger methods
			// walk the stack for it on every call, and an access log line has no use for it.
			end := time.Now()
			line := slog.NewRecord(end, level, "request", 0)
			line.AddAttrs(
				slog.String("method", r.Method),
				slog.String("route", route(r)),
				slog.String("path", r.URL.Path),
				slog.Int("status", rw.Status()),
				slog.Int64("bytes", rw.bytes),
				slog.Duration("duration", end.Sub(start)),
			)
			_ = h.Handle(ctx, line)
		})
	}
}
