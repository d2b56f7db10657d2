package plainchain

// Copied into a rendered repo by benchmarks/http_throughput.py, which replaces the module path.
// Each benchmark serves GET / through one chain around the service's own routes, logging JSON to
// io.Discard, without metrics (they are measured in internal/metrics):
//
//	go test -run '^$' -bench . -benchmem ./internal/plainchain

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/example/bench-svc/internal/health"
	"github.com/example/bench-svc/internal/logging"
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
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	run(b, Handler(routes(), logger, 25*time.Second, 1<<20))
}

func BenchmarkBare(b *testing.B) {
	run(b, routes())
}
