package middleware

import (
	"log/slog"
	"net/http"
	"slices"
	"time"
)

// AccessLog logs one line per request once it is answered: method, route (the matched
// pattern), path, status, bytes, duration, and, through the request's context, its request and
// trace IDs. Requests to the routes named in quiet, such as the probes, are logged at DEBUG so
// they do not drown the rest; all others at INFO.
func AccessLog(logger *slog.Logger, quiet ...string) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rw := record(w)
			next.ServeHTTP(rw, r)
			level := slog.LevelInfo
			if slices.Contains(quiet, r.Pattern) {
				level = slog.LevelDebug
			}
			if !logger.Enabled(r.Context(), level) {
				return
			}
			logger.LogAttrs(r.Context(), level, "request",
				slog.String("method", r.Method),
				slog.String("route", route(r)),
				slog.String("path", r.URL.Path),
				slog.Int("status", rw.Status()),
				slog.Int64("bytes", rw.bytes),
				slog.Duration("duration", time.Since(start)),
			)
		})
	}
}
