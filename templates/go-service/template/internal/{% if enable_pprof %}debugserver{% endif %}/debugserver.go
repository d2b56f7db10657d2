// Package debugserver serves net/http/pprof, which is for operators only, on a server of its
// own. It shares neither the service's port nor the metrics', and its address stays on loopback
// unless explicitly allowed (reach it with kubectl port-forward).
package debugserver

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"
)

// Routes returns a mux serving the profiles under /debug/pprof/. It is a mux of its own:
// importing net/http/pprof also adds its handlers to http.DefaultServeMux, which nothing serves.
func Routes() *http.ServeMux {
	mux := http.NewServeMux()
	// Index also serves each named profile, such as /debug/pprof/heap and /debug/pprof/goroutine.
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}

// New returns the debug server for Routes(), logging its own errors to logs at level ERROR. Its
// caller serves it on a listener it binds itself.
func New(logs slog.Handler) *http.Server {
	return &http.Server{
		Handler:           Routes(),
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
