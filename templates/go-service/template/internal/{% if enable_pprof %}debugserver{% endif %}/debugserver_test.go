package debugserver

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestServesProfiles(t *testing.T) {
	srv := New(slog.DiscardHandler)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	base := "http://" + ln.Addr().String()

	tests := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		wantBody   string
	}{
		{"index lists the profiles", http.MethodGet, "/debug/pprof/", http.StatusOK, "goroutine"},
		{"named profile", http.MethodGet, "/debug/pprof/heap?debug=1", http.StatusOK, "heap profile"},
		{"cmdline", http.MethodGet, "/debug/pprof/cmdline", http.StatusOK, ""},
		{"symbol", http.MethodGet, "/debug/pprof/symbol", http.StatusOK, "num_symbols"},
		{"symbol lookup", http.MethodPost, "/debug/pprof/symbol", http.StatusOK, "num_symbols"},
		// A write timeout shorter than the profile makes pprof answer 400 instead.
		{"CPU profile", http.MethodGet, "/debug/pprof/profile?seconds=1", http.StatusOK, ""},
		{"trace", http.MethodGet, "/debug/pprof/trace?seconds=0.1", http.StatusOK, ""},
		{"no metrics: they have a server of their own", http.MethodGet, "/metrics", http.StatusNotFound, ""},
		{"nothing else", http.MethodGet, "/", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, base+tt.path, strings.NewReader(""))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("%s %s = %d, want %d: %s", tt.method, tt.path, resp.StatusCode, tt.wantStatus, body)
			}
			if !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("%s %s body does not contain %q", tt.method, tt.path, tt.wantBody)
			}
		})
	}
}

func TestServerAllowsLongProfiles(t *testing.T) {
	if wt := New(slog.DiscardHandler).WriteTimeout; wt != 0 && wt.Seconds() < 90 {
		t.Errorf("WriteTimeout = %v, want 0 or at least 90s so a 30s profile can finish", wt)
	}
}
