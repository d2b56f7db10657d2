package middleware

import (
	"net/http"
	"time"
)

// Observer receives each request's outcome, for metrics.
type Observer interface {
	// Started is called when a request arrives.
	Started()
	// Finished is called once it is answered, with its method, its route (the matched
	// pattern, or "unmatched"), its status and how long it took.
	Finished(method, route string, status int, elapsed time.Duration)
}

// Observe reports every request to o.
func Observe(o Observer) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := startOf(r)
			o.Started()
			rw := record(w, r)
			returned := false
			defer func() { o.Finished(r.Method, route(r), rw.statusAfter(returned), time.Since(start)) }()
			next.ServeHTTP(rw, r)
			returned = true
		})
	}
}
