package health

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestProbesAnswer(t *testing.T) {
	unready := new(Readiness)
	ready := new(Readiness)
	ready.Set(true)
	shuttingDown := new(Readiness)
	shuttingDown.Set(true)
	shuttingDown.Set(false)

	tests := []struct {
		name       string
		handler    http.Handler
		wantStatus int
		wantBody   string
	}{
		{"live", http.HandlerFunc(Live), http.StatusOK, "ok\n"},
		{"ready before it is marked ready", unready, http.StatusServiceUnavailable, "not ready\n"},
		{"ready once marked ready", ready, http.StatusOK, "ok\n"},
		{"ready once shutdown starts", shuttingDown, http.StatusServiceUnavailable, "not ready\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			tt.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			if rec.Code != tt.wantStatus || rec.Body.String() != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", rec.Code, rec.Body.String(), tt.wantStatus, tt.wantBody)
			}
			if got := rec.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name          string
		status        int // what the server answers; 0 for no server at all
		wantErr       bool
		wantUnhealthy bool
	}{
		{"200 is healthy", http.StatusOK, false, false},
		{"503 is unhealthy", http.StatusServiceUnavailable, true, true},
		{"404 is unhealthy", http.StatusNotFound, true, true},
		{"no server is unhealthy", 0, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			if tt.status == 0 {
				srv.Close()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()

			err := Check(ctx, srv.URL+"/livez")
			if (err != nil) != tt.wantErr {
				t.Errorf("Check: %v, want an error: %v", err, tt.wantErr)
			}
			if errors.Is(err, ErrUnhealthy) != tt.wantUnhealthy {
				t.Errorf("Check: %v, want ErrUnhealthy: %v", err, tt.wantUnhealthy)
			}
		})
	}
}
