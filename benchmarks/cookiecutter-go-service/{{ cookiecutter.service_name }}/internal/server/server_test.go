package server

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"{{ cookiecutter.module_path }}/internal/health"
)

func TestRoutes(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		path       string
		ready      bool
		wantStatus int
		wantBody   string
	}{
		{"root names the service", http.MethodGet, "/", true, http.StatusOK, `{"service":"svc"}` + "\n"},
		{"livez", http.MethodGet, "/livez", false, http.StatusOK, "ok\n"},
		{"healthz is an alias of livez", http.MethodGet, "/healthz", false, http.StatusOK, "ok\n"},
		{"livez answers HEAD", http.MethodHead, "/livez", false, http.StatusOK, ""},
		{"readyz before ready", http.MethodGet, "/readyz", false, http.StatusServiceUnavailable, "not ready\n"},
		{"readyz when ready", http.MethodGet, "/readyz", true, http.StatusOK, "ok\n"},
		{"unknown path", http.MethodGet, "/nope", true, http.StatusNotFound, ""},
		{"wrong method", http.MethodPost, "/livez", true, http.StatusMethodNotAllowed, ""},
		{"no pprof on the service's port", http.MethodGet, "/debug/pprof/", true, http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			readiness := new(health.Readiness)
			readiness.Set(tt.ready)
			rec := httptest.NewRecorder()
			Routes("svc", readiness).ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.wantStatus {
				t.Errorf("%s %s = %d, want %d", tt.method, tt.path, rec.Code, tt.wantStatus)
			}
			if tt.wantBody != "" && rec.Body.String() != tt.wantBody {
				t.Errorf("%s %s body = %q, want %q", tt.method, tt.path, rec.Body.String(), tt.wantBody)
			}
		})
	}
}

func TestNewSetsTimeoutsAndLogsErrorsAsJSON(t *testing.T) {
	var logs bytes.Buffer
	srv := New(http.NotFoundHandler(), slog.NewJSONHandler(&logs, nil))
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 {
		t.Errorf("timeouts = header %v, read %v, write %v, idle %v; want all set",
			srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
	if srv.MaxHeaderBytes <= 0 {
		t.Errorf("MaxHeaderBytes = %d, want it set", srv.MaxHeaderBytes)
	}
	srv.ErrorLog.Print("http: TLS handshake error")
	if got := logs.String(); !strings.Contains(got, `"level":"ERROR"`) || !strings.Contains(got, "TLS handshake") {
		t.Errorf("ErrorLog wrote %q, want a JSON line at ERROR", got)
	}
}
