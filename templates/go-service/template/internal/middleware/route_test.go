package middleware

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type ctxKey struct{}

// withContext is a team's own middleware that replaces the request's context, as authentication
// and tracing middleware do.
func withContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, "user-1")))
	})
}

func TestTheRouteSurvivesMiddlewareBetweenTheChainAndTheMux(t *testing.T) {
	for name, between := range map[string]func(http.Handler) http.Handler{
		"a WithContext middleware": withContext,
		"http.TimeoutHandler": func(next http.Handler) http.Handler {
			return http.TimeoutHandler(next, time.Second, "timed out")
		},
	} {
		t.Run(name, func(t *testing.T) {
			logger, logs := newLogger(slog.LevelInfo)
			o := new(observed)
			h := Chain(between(Routes(mux())), RequestID, AccessLog(logger), Observe(o))
			for _, path := range []string{"/items/3", "/nowhere"} {
				h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
			}
			lines := logs.lines(t)
			if len(lines) != 2 || lines[0]["route"] != "GET /items/{id}" || lines[1]["route"] != Unmatched {
				t.Errorf("access lines = %v, want routes GET /items/{id} then unmatched", lines)
			}
			if want := "GET GET /items/{id}=200, GET unmatched=404"; o.String() != want {
				t.Errorf("observed %s, want %s", o, want)
			}
		})
	}
}

func TestUnroutableRequestsGetJSONErrorsWithTheRequestID(t *testing.T) {
	h := Chain(Routes(mux()), RequestID)
	tests := []struct {
		method, path string
		status       int
		message      string
		allow        string
	}{
		{http.MethodGet, "/nowhere", http.StatusNotFound, "not found", ""},
		{http.MethodDelete, "/items/1", http.StatusMethodNotAllowed, "method not allowed", "GET, HEAD"},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(tt.method, tt.path, nil)
		req.Header.Set(RequestIDHeader, "r-404")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		want := `{"error":"` + tt.message + `","request_id":"r-404"}` + "\n"
		if rec.Code != tt.status || rec.Body.String() != want || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s %s = %d %q %q, want %d %q as JSON", tt.method, tt.path, rec.Code, rec.Header().Get("Content-Type"), rec.Body, tt.status, want)
		}
		if got := rec.Header().Get("Allow"); got != tt.allow {
			t.Errorf("%s %s Allow = %q, want %q", tt.method, tt.path, got, tt.allow)
		}
	}
}

func TestBodiesOverTheLimitGetAJSON413(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return // as a handler that does not know the limit would: leave the answer to MaxBody
		}
		_, _ = w.Write(body)
	})
	h := Chain(echo, RequestID, MaxBody(10))
	tests := []struct {
		name    string
		body    io.Reader
		length  int64 // -1: unknown, sent chunked
		status  int
		content string
	}{
		{"within the limit", strings.NewReader("0123456789"), 10, http.StatusOK, "0123456789"},
		{"a Content-Length over it", strings.NewReader("0123456789a"), 11, http.StatusRequestEntityTooLarge, "request body too large"},
		{"a chunked body over it", io.MultiReader(strings.NewReader("0123456789"), strings.NewReader("a")), -1, http.StatusRequestEntityTooLarge, "request body too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/", tt.body)
			req.ContentLength = tt.length
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.content) {
				t.Errorf("POST = %d %q, want %d with %q", rec.Code, rec.Body, tt.status, tt.content)
			}
			if tt.status != http.StatusOK && !strings.Contains(rec.Body.String(), `"request_id":"`) {
				t.Errorf("413 body = %q, want the request ID", rec.Body)
			}
		})
	}
}

func TestMaxInFlightShedsTheExcessWithRetryAfterButNeverTheProbes(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	h := Chain(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			entered <- struct{}{}
			<-release
		}
	}), RequestID, MaxInFlight(1, 2*time.Second, "/livez"))
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/slow", nil))
	}()
	<-entered // the one slot is taken
	shed := httptest.NewRecorder()
	h.ServeHTTP(shed, httptest.NewRequest(http.MethodGet, "/other", nil))
	probe := httptest.NewRecorder()
	h.ServeHTTP(probe, httptest.NewRequest(http.MethodGet, "/livez", nil))
	close(release)
	<-done
	if shed.Code != http.StatusServiceUnavailable || shed.Header().Get("Retry-After") != "2" ||
		!strings.Contains(shed.Body.String(), `"error":"too many requests in flight"`) {
		t.Errorf("request over the limit = %d, Retry-After %q, %q; want a JSON 503 with Retry-After 2", shed.Code, shed.Header().Get("Retry-After"), shed.Body)
	}
	if probe.Code != http.StatusOK {
		t.Errorf("probe over the limit = %d, want 200", probe.Code)
	}
	after := httptest.NewRecorder()
	h.ServeHTTP(after, httptest.NewRequest(http.MethodGet, "/other", nil))
	if after.Code != http.StatusOK {
		t.Errorf("once the slot is free = %d, want 200", after.Code)
	}
}

func TestResponsesAskClientsToCloseTheirConnectionOnlyWhileDraining(t *testing.T) {
	draining := false
	h := Chain(http.NotFoundHandler(), CloseWhenDraining(func() bool { return draining }))
	for _, draining = range []bool{false, true} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if got, want := rec.Header().Get("Connection") == "close", draining; got != want {
			t.Errorf("draining %v: Connection: close is there: %v", draining, got)
		}
	}
}
