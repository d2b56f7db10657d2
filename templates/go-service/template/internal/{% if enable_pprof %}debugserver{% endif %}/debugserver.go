// Package debugserver serves what is for operators only, on a server of its own: net/http/pprof,
// the metrics in the Prometheus format (/metrics) and as expvar JSON (/debug/vars). None of it
// shares the service's port, and its address stays on loopback unless explicitly allowed
// (reach it with kubectl port-forward).
package debugserver

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"
)

// Routes returns a mux serving the profiles under /debug/pprof/, metrics at /metrics and vars
// at /debug/vars. It is a mux of its own: importing net/http/pprof and expvar also adds their
// handlers to http.DefaultServeMux, which nothing serves.
func Routes(metrics, vars http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	mux.Handle("GET /debug/vars", vars)
	// Index also serves each named profile, such as /debug/pprof/heap and /debug/pprof/goroutine.
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}

// New returns the debug server for Routes(metrics, vars), logging its own errors to logs at level
// ERROR. Its caller serves it on a listener it binds itself.
func New(logs slog.Handler, metrics, vars http.Handler) *http.Server {
	return &http.Server{
		Handler:           Routes(metrics, vars),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		// No WriteTimeout: pprof refuses (400) a CPU profile or trace that would last longer,
		// and ?seconds=30 or more is common.
		WriteTimeout:   0,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(logs, slog.LevelError),
	}
}
