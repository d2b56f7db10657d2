package plainchain

// Copied into a rendered repo by benchmarks/http_throughput.py, which replaces the module path.
// Each benchmark serves GET / through one chain around the service's own routes, logging JSON to
// io.Discard, without metrics (they are measured in internal/metrics):
//
//	go test -run '^$' -bench . -benchmem ./internal/plainchain
//
// BenchmarkEachPiece runs each piece of both chains alone around the routes, as each chain
// records them. TestSameAccessLine checks that both chains log the same fields for the same
// request.

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/example/bench-svc/internal/health"
	"github.com/example/bench-svc/internal/logging"
	"github.com/example/bench-svc/internal/middleware"
	"github.com/example/bench-svc/internal/server"
)

// discardWriter keeps nothing, so that a benchmark measures the chain rather than a recorder.
type discardWriter struct{ header http.Header }

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

func routes() *http.ServeMux {
	readiness := new(health.Readiness)
	readiness.Set(true)
	return server.Routes("bench", readiness)
}

func run(b *testing.B, h http.Handler) {
	b.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.header)
		h.ServeHTTP(w, req)
	}
}

func BenchmarkGenerated(b *testing.B) {
	logger := logging.New(io.Discard, new(slog.LevelVar), "bench")
	run(b, server.Handler(routes(), server.Options{Logger: logger, RequestTimeout: 25 * time.Second, MaxBodyBytes: 1 << 20}))
}

func BenchmarkPlain(b *testing.B) {
	run(b, Handler(routes(), NewLogger(io.Discard, "bench"), 25*time.Second, 1<<20))
}

func BenchmarkBare(b *testing.B) {
	run(b, routes())
}

func BenchmarkEachPiece(b *testing.B) {
	generatedLogger := logging.New(io.Discard, new(slog.LevelVar), "bench")
	plainLogger := NewLogger(io.Discard, "bench")
	generated := func(mw middleware.Middleware) http.Handler { return mw(middleware.Routes(routes())) }
	plain := func(wrap func(http.Handler) http.Handler) http.Handler { return wrap(recordRoute(routes())) }
	for _, bm := range []struct {
		name             string
		generated, plain http.Handler
	}{
		{"Routes", middleware.Routes(routes()), recordRoute(routes())},
		{"RequestID", generated(middleware.RequestID), plain(requestID)},
		{"Trace", generated(middleware.Trace), plain(trace)},
		{"AccessLog", generated(middleware.AccessLog(generatedLogger)),
			plain(func(h http.Handler) http.Handler { return accessLog(plainLogger, h) })},
		{"Body", generated(middleware.MaxBody(1 << 20)),
			plain(func(h http.Handler) http.Handler { return limitBody(1<<20, h) })},
		{"Timeout", generated(middleware.Timeout(25 * time.Second)),
			plain(func(h http.Handler) http.Handler { return http.TimeoutHandler(h, 25*time.Second, "") })},
		{"Recover", generated(middleware.Recover(generatedLogger)),
			plain(func(h http.Handler) http.Handler { return recoverer(plainLogger, h) })},
	} {
		b.Run(bm.name+"/generated", func(b *testing.B) { run(b, bm.generated) })
		b.Run(bm.name+"/plain", func(b *testing.B) { run(b, bm.plain) })
	}
}

func TestSameAccessLine(t *testing.T) {
	var generatedLog, plainLog bytes.Buffer
	chains := map[string]http.Handler{
		"generated": server.Handler(routes(), server.Options{
			Logger:         logging.New(&generatedLog, new(slog.LevelVar), "bench"),
			RequestTimeout: 25 * time.Second, MaxBodyBytes: 1 << 20,
		}),
		"plain": Handler(routes(), NewLogger(&plainLog, "bench"), 25*time.Second, 1<<20),
	}
	lines := map[string]map[string]any{}
	for name, h := range chains {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
		req.Header.Set("X-Request-Id", "req-1")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK || w.Header().Get("X-Request-Id") != "req-1" {
			t.Fatalf("%s: status %d, X-Request-Id %q", name, w.Code, w.Header().Get("X-Request-Id"))
		}
		log := map[string]*bytes.Buffer{"generated": &generatedLog, "plain": &plainLog}[name]
		line := map[string]any{}
		if err := json.Unmarshal(log.Bytes(), &line); err != nil {
			t.Fatalf("%s: access line %q: %v", name, log, err)
		}
		lines[name] = line
	}
	generated, plain := lines["generated"], lines["plain"]
	if g, p := slices.Sorted(maps.Keys(generated)), slices.Sorted(maps.Keys(plain)); !slices.Equal(g, p) {
		t.Fatalf("fields differ: generated %v, plain %v", g, p)
	}
	for _, key := range []string{"level", "msg", "service", "method", "route", "path", "status", "bytes", "request_id", "trace_id"} {
		if generated[key] != plain[key] {
			t.Errorf("%s: generated %v, plain %v", key, generated[key], plain[key])
		}
	}
}
