package middleware

import (
	"bufio"
	"context"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"sync"
	"time"
)

// Timeout gives each request d to be answered, as http.TimeoutHandler does, without holding the
// response in memory: streaming handlers, Flush and Hijack keep working.
//
// The handler runs with a context.WithTimeout(d) context, in a goroutine of its own. If d passes
// before it has started its response, the client gets a JSON 503 at once (see WriteError) and
// whatever the handler writes later is dropped (its writes return http.ErrHandlerTimeout); the
// same if it returns at the deadline without answering. So a handler that ignores its context
// still leaves the client an answer, and the access log and metrics record that 503, not the
// 200 the handler may write too late. A handler that has started its response is waited for:
// the server's WriteTimeout, which must be longer than d, ends it. If the client goes away
// first, the context is canceled; unless the handler has answered, nothing is sent (the request is
// aborted with http.ErrAbortHandler) and the status recorded is 0.
//
// Put Recover inside Timeout, as server.Handler does, so that a panic in the handler's goroutine
// is answered there; a panic that gets through is raised again in the request's own goroutine.
func Timeout(d time.Duration) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), d)
			defer cancel()
			tw := &timeoutWriter{w: w, h: w.Header().Clone()}
			// done receives the handler's panic value when it stops: nil if it returned.
			done := make(chan any, 1)
			go func() {
				defer func() { done <- recover() }()
				next.ServeHTTP(tw, r.WithContext(ctx))
			}()
			var panicked any
			select {
			case panicked = <-done:
			case <-ctx.Done():
				if !tw.stop() {
					panicked = <-done // the response has started: let the handler finish it
				}
			}
			if panicked != nil {
				panic(panicked)
			}
			if !tw.stop() {
				return // the handler answered
			}
			// The handler returned, or was given up on, without answering.
			switch {
			case errors.Is(context.Cause(ctx), context.DeadlineExceeded):
				WriteError(w, r, http.StatusServiceUnavailable, "request timed out")
			case r.Context().Err() != nil:
				panic(http.ErrAbortHandler) // the client has gone: send nothing, record nothing sent
			}
		})
	}
}

// timeoutWriter is the handler's ResponseWriter under Timeout. It passes the response through
// once the handler starts it, and refuses it once Timeout has given up on the handler. The
// handler gets a header map of its own, copied to the real one when it starts its response, so
// that Timeout and a late handler never share one.
type timeoutWriter struct {
	w http.ResponseWriter

	mu       sync.Mutex
	h        http.Header
	started  bool // the handler has started its response: it owns w
	timedOut bool // Timeout has given up on the handler: it owns w
}

// stop gives up on the handler unless its response has started; it reports whether it did.
func (tw *timeoutWriter) stop() bool {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.started {
		return false
	}
	tw.timedOut = true
	return true
}

// start claims w for the handler; it reports false if Timeout already has.
func (tw *timeoutWriter) start() bool {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.timedOut {
		return false
	}
	if !tw.started {
		tw.started = true
		dst := tw.w.Header()
		clear(dst)
		maps.Copy(dst, tw.h)
		tw.h = dst // trailers set from now on go straight to the response
	}
	return true
}

func (tw *timeoutWriter) Header() http.Header {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	return tw.h
}

func (tw *timeoutWriter) WriteHeader(status int) {
	if tw.start() {
		tw.w.WriteHeader(status)
	}
}

func (tw *timeoutWriter) Write(b []byte) (int, error) {
	if !tw.start() {
		return 0, http.ErrHandlerTimeout
	}
	return tw.w.Write(b)
}

// ReadFrom keeps io.Copy to the response on the connection's own ReadFrom (sendfile).
func (tw *timeoutWriter) ReadFrom(src io.Reader) (int64, error) {
	if !tw.start() {
		return 0, http.ErrHandlerTimeout
	}
	return io.Copy(tw.w, src)
}

// Flush keeps streaming handlers working through a plain http.Flusher type assertion.
func (tw *timeoutWriter) Flush() {
	if tw.start() {
		_ = http.NewResponseController(tw.w).Flush()
	}
}

// Hijack hands the connection to the handler, as WebSocket libraries ask.
func (tw *timeoutWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !tw.start() {
		return nil, nil, http.ErrHandlerTimeout
	}
	return http.NewResponseController(tw.w).Hijack()
}

// Unwrap lets http.ResponseController reach the connection's own writer, for deadlines.
func (tw *timeoutWriter) Unwrap() http.ResponseWriter {
	return tw.w
}
