// Package server builds the service's HTTP server: its routes and the limits that protect it
// from slow or oversized clients.
package server

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"{{ cookiecutter.module_path }}/internal/health"
)

// Routes returns the service's handler: the probes and a root endpoint naming the service.
// It is a mux of its own, never http.DefaultServeMux, which any imported package can add to.
func Routes(name string, readiness *health.Readiness) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", health.Live)
	// /healthz is what older probes and tools expect; Kubernetes now prefers /livez and /readyz.
	mux.HandleFunc("GET /healthz", health.Live)
	mux.Handle("GET /readyz", readiness)
	mux.Handle("GET /{$}", about(name))
	return mux
}

func about(name string) http.HandlerFunc {
	// Marshalling a struct of one string cannot fail.
	body, _ := json.Marshal(struct {
		Service string `json:"service"`
	}{name})
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(append(body, '\n'))
	}
}

// New returns a server for handler whose own errors (a client's TLS handshake, a panic in a
// handler) go to logs at level ERROR. Its caller serves it on a listener it binds itself.
func New(handler http.Handler, logs slog.Handler) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logs, slog.LevelError),
	}
}
