package middleware

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
)

// MaxBody limits request bodies to n bytes. A request whose Content-Length says more gets a JSON
// 413 without reaching the handler. A longer body without one (chunked) is cut at n: the handler's
// read returns an *http.MaxBytesError, and if the handler then returns without answering, the
// client gets the JSON 413.
func MaxBody(n int64) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				WriteError(w, r, http.StatusRequestEntityTooLarge, "request body too large")
				return
			}
			if r.Body == nil || r.Body == http.NoBody {
				next.ServeHTTP(w, r)
				return
			}
			body := &limitedBody{ReadCloser: http.MaxBytesReader(w, r.Body, n)}
			r = r.WithContext(r.Context()) // a shallow copy, so the caller's request keeps its body
			r.Body = body
			rw := record(w)
			next.ServeHTTP(rw, r)
			if rw.status == 0 && body.tooLarge.Load() {
				WriteError(rw, r, http.StatusRequestEntityTooLarge, "request body too large")
			}
		})
	}
}

// limitedBody notes that a read hit the limit. The flag is atomic because a handler given up on
// by Timeout may still be reading.
type limitedBody struct {
	io.ReadCloser
	tooLarge atomic.Bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		b.tooLarge.Store(true)
	}
	return n, err
}

// MaxInFlight answers a JSON 503 with Retry-After when n requests are already in flight, so that
// an overloaded instance sheds the excess at once instead of making every request slow. Requests
// to the paths in exempt, such as the probes, are never shed: an instance that is busy is still
// alive. n <= 0 means no limit.
func MaxInFlight(n int, retryAfter time.Duration, exempt ...string) Middleware {
	if n <= 0 {
		return func(next http.Handler) http.Handler { return next }
	}
	slots := make(chan struct{}, n)
	seconds := strconv.Itoa(max(1, int(retryAfter.Round(time.Second)/time.Second)))
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if slices.Contains(exempt, r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
			select {
			case slots <- struct{}{}:
				defer func() { <-slots }()
				next.ServeHTTP(w, r)
			default:
				w.Header().Set("Retry-After", seconds)
				WriteError(w, r, http.StatusServiceUnavailable, "too many requests in flight")
			}
		})
	}
}
