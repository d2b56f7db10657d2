//go:build unix

package main

import (
	"io"
	"net/http"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestRunShutsDownOnSIGTERM(t *testing.T) {
	svc := start(t, map[string]string{
		"PORT":           "0",
		"METRICS_ADDR":   "off",
		"PPROF_ADDR":     "off",
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

// TestAPooledClientGetsEveryAnswerThroughSIGTERM sends requests on kept-alive connections before,
// at and during the drain. Each must be answered: idle connections stay open until the drain
// ends, and a response during the drain says "Connection: close" so the client moves on.
func TestAPooledClientGetsEveryAnswerThroughSIGTERM(t *testing.T) {
	svc := start(t, map[string]string{
		"PORT":             "0",
		"PPROF_ADDR":       "off",
		"SHUTDOWN_DRAIN":   "3s",
		"REQUEST_TIMEOUT":  "1s",
		"WRITE_TIMEOUT":    "2s",
		"SHUTDOWN_TIMEOUT": "2s",
	})
	base := loopback(t, svc.waitLog(t, "listening"))
	// POST is never retried by the client on a connection the server closed, so a cut connection
	// shows as an error here.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	defer client.CloseIdleConnections()
	post := func() (closed bool, err error) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/livez", nil)
		resp, err := client.Do(req)
		if err != nil {
			return false, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.Close, nil
	}
	var wg sync.WaitGroup
	for range 4 { // four connections in the pool, idle between requests
		wg.Go(func() {
			if _, err := post(); err != nil {
				t.Errorf("before SIGTERM: %v", err)
			}
		})
	}
	wg.Wait()

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	svc.waitLog(t, "shutdown started")
	var mu sync.Mutex
	answered, closed := 0, 0
	until := time.Now().Add(500 * time.Millisecond) // well inside the 3s drain, even on a busy machine
	for range 4 {
		wg.Go(func() {
			for time.Now().Before(until) {
				c, err := post()
				if err != nil {
					t.Errorf("during the drain: %v", err)
					return
				}
				mu.Lock()
				answered++
				if c {
					closed++
				}
				mu.Unlock()
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	if answered == 0 || closed != answered {
		t.Errorf("during the drain %d of %d responses said Connection: close, want all and at least one", closed, answered)
	}
	svc.waitLog(t, "shutdown complete")
	if err := svc.wait(t); err != nil {
		t.Errorf("run = %v, want nil", err)
	}
}
