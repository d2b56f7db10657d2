package middleware

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// serve starts a server whose write timeout is longer than the request timeout, as server.New's
// is, running h in the chain server.Handler builds, and returns its URL, its access log and what
// the observer saw.
func serve(t *testing.T, requestTimeout, writeTimeout time.Duration, routes *http.ServeMux) (string, *logBuffer, *observed) {
	t.Helper()
	logger, logs := newLogger(slog.LevelInfo)
	o := new(observed)
	h := Chain(Routes(routes), RequestID, Trace, AccessLog(logger), Observe(o), Timeout(requestTimeout), Recover(logger))
	srv := httptest.NewUnstartedServer(h)
	srv.Config.WriteTimeout = writeTimeout
	srv.Config.ErrorLog = slog.NewLogLogger(slog.DiscardHandler, slog.LevelError)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL, logs, o
}

// errorBody decodes a JSON error body.
func errorBody(t *testing.T, resp *http.Response) (message, requestID string) {
	t.Helper()
	var body struct {
		Error     string `json:"error"`
		RequestID string `json:"request_id"`
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Errorf("error body is not JSON: %v", err)
	}
	return body.Error, body.RequestID
}

func TestAHandlerPastItsDeadlineLeavesTheClientAJSON503ThatTheLogsAndMetricsRecord(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	routes := http.NewServeMux()
	routes.HandleFunc("GET /ignores-context", func(w http.ResponseWriter, _ *http.Request) {
		<-release // a handler deaf to its context, answering 200 far too late
		_, _ = io.WriteString(w, "too late")
	})
	routes.HandleFunc("GET /stops-at-deadline", func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // stops, as it should, and leaves the answer to the middleware
	})
	base, logs, o := serve(t, 50*time.Millisecond, 5*time.Second, routes)

	for _, path := range []string{"/ignores-context", "/stops-at-deadline"} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+path, nil)
		req.Header.Set(RequestIDHeader, "slow-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v, want a 503 rather than an empty reply", path, err)
		}
		message, id := errorBody(t, resp)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || message != "request timed out" || id != "slow-1" {
			t.Errorf("GET %s = %d %q %q, want 503, request timed out, slow-1", path, resp.StatusCode, message, id)
		}
	}
	var statuses []float64
	for _, line := range logs.lines(t) {
		statuses = append(statuses, line["status"].(float64))
	}
	if len(statuses) != 2 || statuses[0] != 503 || statuses[1] != 503 {
		t.Errorf("access log statuses = %v, want 503 twice", statuses)
	}
	if want := "GET GET /ignores-context=503, GET GET /stops-at-deadline=503"; o.String() != want {
		t.Errorf("observed %s, want %s", o, want)
	}
}

func TestAResponseStartedBeforeTheDeadlineIsNotCutByIt(t *testing.T) {
	routes := http.NewServeMux()
	routes.HandleFunc("GET /stream", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "first ")
		w.(http.Flusher).Flush()
		<-r.Context().Done() // the deadline passes with the response under way
		_, _ = io.WriteString(w, "second")
	})
	base, _, o := serve(t, 300*time.Millisecond, 5*time.Second, routes)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/stream", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "first second" {
		t.Errorf("GET /stream = %d %q, want 200 and the whole stream", resp.StatusCode, body)
	}
	if want := "GET GET /stream=200"; o.String() != want {
		t.Errorf("observed %s, want %s", o, want)
	}
}

func TestTimeoutKeepsTheHandlersHeadersAndItsOwnApart(t *testing.T) {
	h := Chain(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		w.Header().Set("Trailer", "X-Rows")
		_, _ = io.WriteString(w, "a,b\n")
		w.Header().Set("X-Rows", "1")
	}), RequestID, Timeout(time.Second))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	res := rec.Result()
	if res.Header.Get("Content-Type") != "text/csv" || res.Header.Get(RequestIDHeader) == "" || res.Trailer.Get("X-Rows") != "1" {
		t.Errorf("headers = %v, trailers = %v; want the handler's type and trailer and the request ID", res.Header, res.Trailer)
	}
}

func TestAPanicInTheHandlersGoroutineIsAnswered(t *testing.T) {
	base, logs, _ := serve(t, time.Second, 5*time.Second, mux())
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/panic", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /panic: %v", err)
	}
	message, id := errorBody(t, resp)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || message != "internal server error" || id != resp.Header.Get(RequestIDHeader) {
		t.Errorf("GET /panic = %d %q %q, want 500 with the request's ID", resp.StatusCode, message, id)
	}
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/abort", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("GET /abort = %d, want the connection aborted", resp.StatusCode)
	}
	// The client retries a GET whose connection was cut, so /abort may be logged more than once.
	var got []string
	for _, line := range logs.lines(t) {
		if line["msg"] == "request" {
			got = append(got, fmt.Sprintf("%v=%v", line["route"], line["status"]))
		}
	}
	if len(got) < 2 || got[0] != "GET /panic=500" {
		t.Errorf("access lines = %v, want /panic at 500, then /abort at 0", got)
	}
	for _, line := range got[1:] {
		if line != "GET /abort=0" {
			t.Errorf("access lines = %v, want /panic at 500, then /abort at 0", got)
		}
	}
}
