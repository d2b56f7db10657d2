package health

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
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
		{"ready before it is marked ready", unready, http.StatusServiceUnavailable, `{"status":"not ready","checks":[]}` + "\n"},
		{"ready once marked ready", ready, http.StatusOK, `{"status":"ready","checks":[]}` + "\n"},
		{"ready once shutdown starts", shuttingDown, http.StatusServiceUnavailable, `{"status":"not ready","checks":[]}` + "\n"},
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

func TestReadinessRunsEachDependencyCheckWithinItsTimeout(t *testing.T) {
	readiness := new(Readiness)
	readiness.Add("database", time.Second, func(context.Context) error { return nil })
	readiness.Add("cache", time.Second, func(context.Context) error { return errors.New("connection refused") })
	hung := make(chan struct{})
	defer close(hung)
	readiness.Add("queue", 20*time.Millisecond, func(context.Context) error { <-hung; return nil }) // deaf to its context
	readiness.Set(true)

	rec := httptest.NewRecorder()
	readiness.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	var body struct {
		Status string
		Checks []CheckResult
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q is not JSON: %v", rec.Body, err)
	}
	if rec.Code != http.StatusServiceUnavailable || body.Status != "not ready" || len(body.Checks) != 3 {
		t.Fatalf("/readyz = %d %+v, want 503, not ready and three checks", rec.Code, body)
	}
	for i, want := range []struct{ name, status, err string }{
		{"database", "ok", ""}, {"cache", "failed", "connection refused"}, {"queue", "timed out", "no answer within 20ms"},
	} {
		got := body.Checks[i]
		if got.Name != want.name || got.Status != want.status || got.Error != want.err {
			t.Errorf("check %d = %+v, want %+v", i, got, want)
		}
	}

	healthy := new(Readiness)
	healthy.Add("database", time.Second, func(ctx context.Context) error { return ctx.Err() })
	healthy.Set(true)
	rec = httptest.NewRecorder()
	healthy.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"name":"database","status":"ok"`) {
		t.Errorf("/readyz with a passing check = %d %s, want 200 listing it as ok", rec.Code, rec.Body)
	}
}
