// Package middleware wraps the service's handler with what every request needs: a request ID,
// the W3C trace context, an access log line, metrics, load shedding, a body limit, a deadline,
// panic recovery and JSON error bodies.
//
// Each piece is a func(http.Handler) http.Handler of its own, in a file of its own; Chain puts
// them in order, and server.Handler is the one place that order is written down.
package middleware

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

// Middleware wraps a handler in another.
type Middleware func(http.Handler) http.Handler

// Chain returns h wrapped in each of mw, the first outermost: a request goes through mw[0] first.
func Chain(h http.Handler, mw ...Middleware) http.Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// responseWriter records the status and size of a response. Pieces that need them share one.
type responseWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

// record returns w as a *responseWriter, wrapping it unless a piece further out already did.
func record(w http.ResponseWriter) *responseWriter {
	if rw, ok := w.(*responseWriter); ok {
		return rw
	}
	return &responseWriter{ResponseWriter: w}
}

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 && status >= http.StatusOK {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush keeps streaming handlers working through a plain http.Flusher type assertion.
func (w *responseWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// ReadFrom keeps io.Copy to the response, as http.ServeContent does, on the connection's own
// ReadFrom, which can send a file without copying it through the process (sendfile).
func (w *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := io.Copy(w.ResponseWriter, src)
	w.bytes += n
	return n, err
}

// Hijack keeps handlers that take over the connection through a plain http.Hijacker type
// assertion, as WebSocket libraries do, working.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap lets http.ResponseController reach the connection's own writer.
func (w *responseWriter) Unwrap() http.ResponseWriter {
	return w.ResponseWriter
}

// statusAfter is the status the client got once the handler stopped: the one sent; 200 if the
// handler returned without sending one, as the server then sends; 0 if it panicked before
// sending one, as the server then sends nothing.
func (w *responseWriter) statusAfter(returned bool) int {
	if w.status == 0 && returned {
		return http.StatusOK
	}
	return w.status
}
