// Package plainchain is the request path a team would write by hand with the standard library
// alone: the baseline the generated service's middleware chain is measured against
// (benchmarks/http_throughput.py copies it into a rendered repo as internal/plainchain). It is not
// part of what scaffold generates.
//
// It does what server.Handler does with the service's defaults (no metrics, no in-flight limit,
// not draining), each piece in its most direct form, in the same order:
//
//   - requestID: the X-Request-Id header if it is 1 to 128 letters, digits and . _ : -, else 32
//     random hex digits; echoed in the response, put in the request's context and in every log
//     line logged with it (request_id);
//   - trace: a valid version-00 traceparent is continued, with its tracestate; otherwise a new
//     trace ID; a new span ID either way; trace_id and span_id in every log line of the request;
//   - accessLog: one line when the request ends (deferred, so an aborted request gets one too),
//     with method, route, path, status, bytes and duration; DEBUG for the probes, INFO otherwise;
//   - limitBody: http.MaxBytesReader around every body;
//   - http.TimeoutHandler, whose 503 body is a fixed JSON string;
//   - recoverer: a panic is logged with its stack and answered with a JSON 500 with the request ID;
//   - recordRoute: the mux's matched pattern, recorded where routing happens into a place
//     accessLog made, so it survives anything in between (http.TimeoutHandler's goroutine).
//
// What the generated chain does that this one does not: JSON bodies for 404 and 405, the request
// ID in the timeout's body, a 413 before the handler runs when Content-Length is over the limit,
// streaming (http.TimeoutHandler holds the whole response until the handler returns) and, on a
// panic after the response started, aborting the connection instead of appending a 500 body. Its
// log lines put the request's attributes inside any group a logger opened with WithGroup.
package plainchain

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"
)

// probes are logged at DEBUG, as server.Handler logs them.
var probes = []string{"GET /livez", "GET /healthz", "GET /readyz"}

// NewLogger returns a JSON logger to w whose lines carry the attributes of the request they are
// logged for, and the service's name.
func NewLogger(w io.Writer, service string) *slog.Logger {
	return slog.New(contextHandler{slog.NewJSONHandler(w, nil)}).With("service", service)
}

// Handler wraps routes in the plain chain.
func Handler(routes *http.ServeMux, logger *slog.Logger, timeout time.Duration, maxBody int64) http.Handler {
	var h http.Handler = recordRoute(routes)
	h = recoverer(logger, h)
	h = http.TimeoutHandler(h, timeout, `{"error":"request timed out"}`)
	h = limitBody(maxBody, h)
	h = accessLog(logger, h)
	h = trace(h)
	return requestID(h)
}

type logAttrsKey struct{}

// withLogAttrs returns ctx with attrs added to those its log lines carry.
func withLogAttrs(ctx context.Context, attrs ...slog.Attr) context.Context {
	old, _ := ctx.Value(logAttrsKey{}).([]slog.Attr)
	return context.WithValue(ctx, logAttrsKey{}, append(slices.Clip(old), attrs...))
}

// contextHandler adds the attributes of the record's context to each record.
type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if attrs, ok := ctx.Value(logAttrsKey{}).([]slog.Attr); ok {
		r.AddAttrs(attrs...)
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type requestIDKey struct{}

func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 128 || strings.IndexFunc(id, notIDChar) >= 0 {
			id = randomHex(16)
		}
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		ctx = withLogAttrs(ctx, slog.String("request_id", id))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func notIDChar(c rune) bool {
	return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.ContainsRune("._:-", c))
}

type traceContext struct {
	traceID, parentID, spanID, state string
	sampled                          bool
}

type traceKey struct{}

func trace(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var tc traceContext
		parts := strings.Split(r.Header.Get("Traceparent"), "-")
		if len(parts) == 4 && parts[0] == "00" && lowerHex(parts[1], 32) && lowerHex(parts[2], 16) &&
			lowerHex(parts[3], 2) && strings.Trim(parts[1], "0") != "" && strings.Trim(parts[2], "0") != "" {
			tc = traceContext{
				traceID: parts[1], parentID: parts[2], sampled: parts[3][1]&1 == 1,
				state: strings.Join(r.Header.Values("Tracestate"), ","),
			}
		} else {
			tc.traceID = randomHex(16)
		}
		tc.spanID = randomHex(8)
		ctx := context.WithValue(r.Context(), traceKey{}, tc)
		ctx = withLogAttrs(ctx, slog.String("trace_id", tc.traceID), slog.String("span_id", tc.spanID))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func lowerHex(s string, n int) bool {
	return len(s) == n && strings.Trim(s, "0123456789abcdef") == ""
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusRecorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// route is where recordRoute writes the matched pattern; TimeoutHandler may run it in another
// goroutine.
type route struct {
	mu      sync.Mutex
	pattern string
}

type routeKey struct{}

func accessLog(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rt := new(route)
		r = r.WithContext(context.WithValue(r.Context(), routeKey{}, rt))
		rec := &statusRecorder{ResponseWriter: w}
		returned := false
		defer func() {
			status := rec.status
			if status == 0 && returned {
				status = http.StatusOK
			}
			rt.mu.Lock()
			pattern := rt.pattern
			rt.mu.Unlock()
			level := slog.LevelInfo
			if slices.Contains(probes, pattern) {
				level = slog.LevelDebug
			}
			logger.LogAttrs(r.Context(), level, "request",
				slog.String("method", r.Method),
				slog.String("route", pattern),
				slog.String("path", r.URL.Path),
				slog.Int("status", status),
				slog.Int("bytes", rec.bytes),
				slog.Duration("duration", time.Since(start)),
			)
		}()
		next.ServeHTTP(rec, r)
		returned = true
	})
}

func limitBody(n int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, n)
		}
		next.ServeHTTP(w, r)
	})
}

func recoverer(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger.ErrorContext(r.Context(), "panic serving request",
					"method", r.Method, "panic", v, "stack", string(debug.Stack()))
				id, _ := r.Context().Value(requestIDKey{}).(string)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusInternalServerError)
				_ = json.NewEncoder(w).Encode(map[string]string{"error": "internal server error", "request_id": id})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func recordRoute(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := mux.Handler(r)
		if rt, ok := r.Context().Value(routeKey{}).(*route); ok {
			rt.mu.Lock()
			rt.pattern = pattern
			rt.mu.Unlock()
		}
		mux.ServeHTTP(w, r)
	})
}
