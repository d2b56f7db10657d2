// Package health answers the probes of Kubernetes and other orchestrators, and checks a running
// service the way they do.
//
// Liveness says only that the process serves HTTP: it checks no dependency, because a restart
// cannot fix a dependency. Readiness says whether the service wants traffic: it is off until the
// service listens, off again from the start of its shutdown, so the load balancer drains it, and
// off while a dependency registered with Readiness.Add fails its check.
package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// ErrUnhealthy is wrapped by Check's error when the service answers with a status other than 200.
var ErrUnhealthy = errors.New("unhealthy")

// Live answers 200 "ok" to every request: serving it is the proof of life.
func Live(w http.ResponseWriter, _ *http.Request) {
	write(w, http.StatusOK, "ok")
}

// Readiness is a readiness probe. It answers 503 until Set(true), and again from Set(false), which
// the service calls when its shutdown starts. While ready, it runs the checks registered with Add,
// all at once, each within its own timeout, and answers 200 if every one passed, else 503. Its
// body, JSON, lists each check's state:
//
//	{"status":"ready","checks":[{"name":"postgres","status":"ok","duration_ms":1.2}]}
//
// Its zero value is not ready and has no checks. It is safe for concurrent use.
type Readiness struct {
	ready  atomic.Bool
	mu     sync.Mutex
	checks []dependency
}

type dependency struct {
	name    string
	timeout time.Duration
	check   func(context.Context) error
}

// CheckResult is one check's state in the /readyz body.
type CheckResult struct {
	Name       string  `json:"name"`
	Status     string  `json:"status"` // "ok", "failed" or "timed out"
	Error      string  `json:"error,omitempty"`
	DurationMS float64 `json:"duration_ms"`
}

// Add registers a dependency the service cannot serve without, such as its database: /readyz
// calls check with a context that ends after timeout, and reports the service unready while check
// fails or outlasts it. A check should be cheap (a ping, not a query), since probes come every few
// seconds from every instance. Add checks before the service is marked ready.
func (r *Readiness) Add(name string, timeout time.Duration, check func(context.Context) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checks = append(r.checks, dependency{name: name, timeout: timeout, check: check})
}

// Set marks the service ready or not.
func (r *Readiness) Set(ready bool) {
	r.ready.Store(ready)
}

// Ready reports whether the service is marked ready; it runs no checks.
func (r *Readiness) Ready() bool {
	return r.ready.Load()
}

// Check runs every registered check at once and returns their results, in the order they were
// added, and whether all passed.
func (r *Readiness) Check(ctx context.Context) ([]CheckResult, bool) {
	r.mu.Lock()
	checks := slices.Clone(r.checks)
	r.mu.Unlock()
	results := make([]CheckResult, len(checks))
	var wg sync.WaitGroup
	for i, d := range checks {
		wg.Go(func() { results[i] = d.run(ctx) })
	}
	wg.Wait()
	ok := true
	for _, res := range results {
		ok = ok && res.Status == "ok"
	}
	return results, ok
}

// run runs the check within its timeout. A check that ignores its context is not waited for past
// the timeout; it finishes in the background.
func (d dependency) run(ctx context.Context) CheckResult {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- d.check(ctx) }()
	res := CheckResult{Name: d.name, Status: "ok"}
	select {
	case err := <-done:
		if err != nil {
			res.Status, res.Error = "failed", err.Error()
		}
	case <-ctx.Done():
		res.Status, res.Error = "timed out", "no answer within "+d.timeout.String()
	}
	res.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	return res
}

// ServeHTTP answers the probe.
func (r *Readiness) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body := struct {
		Status string        `json:"status"`
		Checks []CheckResult `json:"checks"`
	}{Status: "not ready", Checks: []CheckResult{}}
	status := http.StatusServiceUnavailable
	if r.Ready() { // while starting or shutting down, the checks do not matter
		results, ok := r.Check(req.Context())
		body.Checks = results
		if ok {
			body.Status, status = "ready", http.StatusOK
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
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
