// Package health answers the probes of Kubernetes and other orchestrators, and checks a running
// service the way they do.
//
// Liveness says only that the process serves HTTP: it checks no dependency, because a restart
// cannot fix a dependency. Readiness says whether the service wants traffic: it is off until the
// service listens, and off again from the start of its shutdown, so the load balancer drains it.
package health

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
)

// ErrUnhealthy is wrapped by Check's error when the service answers with a status other than 200.
var ErrUnhealthy = errors.New("unhealthy")

// Live answers 200 "ok" to every request: serving it is the proof of life.
func Live(w http.ResponseWriter, _ *http.Request) {
	write(w, http.StatusOK, "ok")
}

// Readiness is a readiness probe: it answers 200 "ok" while ready and 503 "not ready" otherwise.
// Its zero value is not ready. It is safe for concurrent use.
type Readiness struct {
	ready atomic.Bool
}

// Set marks the service ready or not.
func (r *Readiness) Set(ready bool) {
	r.ready.Store(ready)
}

// Ready reports whether the service is ready.
func (r *Readiness) Ready() bool {
	return r.ready.Load()
}

// ServeHTTP answers the probe.
func (r *Readiness) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	if r.Ready() {
		write(w, http.StatusOK, "ok")
		return
	}
	write(w, http.StatusServiceUnavailable, "not ready")
}

func write(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body+"\n")
}

// Check sends GET url and returns nil if the answer is 200. Its error wraps ErrUnhealthy for any
// other status. ctx bounds the whole exchange.
func Check(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: GET %s: %s", ErrUnhealthy, url, resp.Status)
	}
	return nil
}
