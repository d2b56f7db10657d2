package middleware

import (
	"context"
	"net/http"
	"sync"
)

// Unmatched is the route of a request no pattern matched: a 404 or a 405.
const Unmatched = "unmatched"

// Routes serves mux and records the pattern that matches each request, such as
// "GET /items/{id}", as the request's route for the access log and the metrics (paths with IDs in
// them would each become a series of their own). The route is recorded here, where routing
// happens, into a place the pieces further out made before the request went on; so it reaches
// them whatever a piece in between does to the request: r.WithContext, http.TimeoutHandler, a
// goroutine of its own.
//
// A request no pattern matches gets the mux's 404 or 405 with a JSON body (see WriteError).
func Routes(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := mux.Handler(r)
		if rec := routeOf(r.Context()); rec != nil {
			rec.set(pattern)
		}
		if pattern == "" {
			w = &errorBodies{ResponseWriter: w, r: r}
		}
		mux.ServeHTTP(w, r)
	})
}

// routeRecord is where Routes writes a request's route; it may do so from another goroutine.
type routeRecord struct {
	mu      sync.Mutex
	pattern string
}

type routeKey struct{}

// withRouteRecord returns the route record of r's context, adding one (and returning the
// request carrying it) if a piece further out did not already.
func withRouteRecord(r *http.Request) (*http.Request, *routeRecord) {
	if rec := routeOf(r.Context()); rec != nil {
		return r, rec
	}
	rec := new(routeRecord)
	return r.WithContext(context.WithValue(r.Context(), routeKey{}, rec)), rec
}

func routeOf(ctx context.Context) *routeRecord {
	rec, _ := ctx.Value(routeKey{}).(*routeRecord)
	return rec
}

func (rec *routeRecord) set(pattern string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.pattern = pattern
}

// get returns the route recorded, or Unmatched.
func (rec *routeRecord) get() string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.pattern == "" {
		return Unmatched
	}
	return rec.pattern
}

// RouteFrom returns the route recorded for the request of ctx so far: Unmatched until Routes
// has matched it, or if no piece keeps a record (AccessLog and Observe do).
func RouteFrom(ctx context.Context) string {
	if rec := routeOf(ctx); rec != nil {
		return rec.get()
	}
	return Unmatched
}
