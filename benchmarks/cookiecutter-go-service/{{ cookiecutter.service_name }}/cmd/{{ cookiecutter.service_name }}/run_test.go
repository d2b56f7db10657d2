package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"{{ cookiecutter.module_path }}/internal/config"
	"{{ cookiecutter.module_path }}/internal/health"
)

// started is a run in progress, with its logs as they come.
type started struct {
	logs   chan map[string]any
	done   chan error
	cancel context.CancelFunc // ends run's context, as a signal would
}

// start runs the service with env as its environment until cancel or the end of the test.
func start(t *testing.T, env map[string]string) *started {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	pr, pw := io.Pipe()
	s := &started{logs: make(chan map[string]any, 100), done: make(chan error, 1), cancel: cancel}
	go func() {
		err := run(ctx, []string{"svc"}, func(name string) string { return env[name] }, pw)
		_ = pw.Close()
		s.done <- err
	}()
	go func() {
		defer close(s.logs)
		scanner := bufio.NewScanner(pr)
		for scanner.Scan() {
			var line map[string]any
			if err := json.Unmarshal(scanner.Bytes(), &line); err != nil {
				t.Errorf("log line is not JSON: %q", scanner.Text())
				continue
			}
			s.logs <- line
		}
	}()
	return s
}

// waitLog returns the first log line, from now on, whose msg is msg.
func (s *started) waitLog(t *testing.T, msg string) map[string]any {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case line, ok := <-s.logs:
			if !ok {
				t.Fatalf("the service stopped logging before %q", msg)
			}
			if line["msg"] == msg {
				return line
			}
		case <-timeout:
			t.Fatalf("no %q log line within 5s", msg)
		}
	}
}

// wait returns run's error.
func (s *started) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return within 5s")
		return nil
	}
}

// loopback turns a logged listening address, such as [::]:41234, into one to dial.
func loopback(t *testing.T, line map[string]any) string {
	t.Helper()
	addr, _ := line["addr"].(string)
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("listening line %v: %v", line, err)
	}
	return "http://127.0.0.1:" + port
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

func TestRunServesThenDrainsAndShutsDown(t *testing.T) {
	svc := start(t, map[string]string{
		"PORT":             "0",
{%- if cookiecutter.enable_pprof %}
		"PPROF_ADDR":       "127.0.0.1:0",
{%- endif %}
		"SHUTDOWN_DRAIN":   "300ms",
		"SHUTDOWN_TIMEOUT": "2s",
	})

	mem := svc.waitLog(t, "memory limit")
	for key, want := range map[string]string{
		"gomemlimit": "number", "gomemlimit_human": "string", "source": "string",
		"cgroup_limit": "number", "gomaxprocs": "number",
	} {
		switch mem[key].(type) {
		case float64:
			if want != "number" {
				t.Errorf("memory limit %s = %v, want a %s", key, mem[key], want)
			}
		case string:
			if want != "string" {
				t.Errorf("memory limit %s = %v, want a %s", key, mem[key], want)
			}
		default:
			t.Errorf("memory limit %s = %v, want a %s", key, mem[key], want)
		}
	}
	base := loopback(t, svc.waitLog(t, "listening"))
{%- if cookiecutter.enable_pprof %}
	pprofBase := loopback(t, svc.waitLog(t, "pprof listening"))
{%- endif %}

	deadline := time.Now().Add(2 * time.Second)
	for status, _ := get(t, base+"/readyz"); status != http.StatusOK; status, _ = get(t, base+"/readyz") {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz = %d, want 200 once listening", status)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if status, body := get(t, base+"/"); status != http.StatusOK || body != `{"service":"`+serviceName+`"}`+"\n" {
		t.Errorf("GET / = %d %q, want 200 naming the service", status, body)
	}
{%- if cookiecutter.enable_pprof %}
	if status, _ := get(t, pprofBase+"/debug/pprof/cmdline"); status != http.StatusOK {
		t.Errorf("GET /debug/pprof/cmdline on the pprof server = %d, want 200", status)
	}
{%- endif %}

	svc.cancel()
	svc.waitLog(t, "shutdown started")
	if status, _ := get(t, base+"/readyz"); status != http.StatusServiceUnavailable {
		t.Errorf("during the drain /readyz = %d, want 503", status)
	}
	if status, _ := get(t, base+"/livez"); status != http.StatusOK {
		t.Errorf("during the drain /livez = %d, want 200", status)
	}
	svc.waitLog(t, "shutdown complete")
	if err := svc.wait(t); err != nil {
		t.Errorf("run = %v, want nil after a graceful shutdown", err)
	}
	if _, err := http.Get(base + "/livez"); err == nil {
		t.Error("the server still answers after run returned")
	}
}

func TestRunShutsDownOnSIGTERM(t *testing.T) {
	svc := start(t, map[string]string{
		"PORT":           "0",
{%- if cookiecutter.enable_pprof %}
		"PPROF_ADDR":     "off",
{%- endif %}
		"SHUTDOWN_DRAIN": "0s",
	})
	svc.waitLog(t, "listening")
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	svc.waitLog(t, "shutdown complete")
	if err := svc.wait(t); err != nil {
		t.Errorf("run = %v, want nil", err)
	}
}

func TestRunHealthcheck(t *testing.T) {
	tests := []struct {
		name          string
		status        int
		wantUnhealthy bool
	}{
		{"live service", http.StatusOK, false},
		{"failing service", http.StatusInternalServerError, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/livez" {
					http.NotFound(w, r)
					return
				}
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))

			var out strings.Builder
			err := run(context.Background(), []string{"svc", "-healthcheck"}, func(name string) string {
				if name == "PORT" {
					return port
				}
				return ""
			}, &out)
			if got := errors.Is(err, health.ErrUnhealthy); got != tt.wantUnhealthy || (err != nil) != tt.wantUnhealthy {
				t.Errorf("run -healthcheck = %v, want unhealthy: %v", err, tt.wantUnhealthy)
			}
			if out.Len() != 0 {
				t.Errorf("run -healthcheck wrote %q, want nothing: it must not start the service", out.String())
			}
		})
	}
}

func TestRunRejectsBadSettingsAndFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr error
	}{
		{"bad port", []string{"svc"}, map[string]string{"PORT": "http"}, config.ErrInvalid},
		{"bad log level", []string{"svc"}, map[string]string{"LOG_LEVEL": "chatty"}, config.ErrInvalid},
		{"unknown flag", []string{"svc", "-verbose"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), tt.args, func(name string) string { return tt.env[name] }, io.Discard)
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Errorf("run = %v, want an error wrapping %v", err, tt.wantErr)
			}
		})
	}
}
