package middleware

import (
	"context"
	"net/http"
	"time"
)

// Deadline cancels each request's context after d. The server's WriteTimeout only stops the
// response from being written: give Deadline the same figure so a handler working past it
// (a database query, a call to another service) is told to stop too.
func Deadline(d time.Duration) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), d)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
