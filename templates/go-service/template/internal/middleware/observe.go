package middleware

import (
	"net/http"
	"time"
)

// Observer receives each request's outcome, for metrics.
type Observer interface {
	// Started is called when a request arrives.
	Started()
	// Finished is called once it is answered, with its method (one of the standard methods, or
	// "OTHER", so that a client cannot make up label values), its route (the matched pattern,
	// or Unmatched), the status the client got (0 if it got none) and how long it took.
	Finished(method, route string, status int, elapsed time.Duration)
}

// Observe reports every request to o.
func Observe(o Observer) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			o.Started()
			r, route := withRouteRecord(r)
			rw := record(w)
			returned := false
			defer func() { o.Finished(knownMethod(r.Method), route.get(), rw.statusAfter(returned), time.Since(start)) }()
			next.ServeHTTP(rw, r)
			returned = true
		})
	}
}

// knownMethod returns method if it is one of the standard methods, else "OTHER".
func knownMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method
	}
	return "OTHER"
}
