package metrics

import (
	"encoding/json"
	"expvar"
	"math"
	"net/http"
)

// Vars returns a handler for /debug/vars: the variables the expvar package publishes (cmdline,
// memstats and any a package adds), plus this registry's own under "http", "runtime" and
// "build". The registry's are not published through expvar.Publish, whose names are global to the
// process and may be published only once.
func (m *Registry) Vars() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		vars := map[string]any{}
		expvar.Do(func(kv expvar.KeyValue) { vars[kv.Key] = json.RawMessage(kv.Value.String()) })
		routes := map[string]any{}
		for _, r := range m.snapshot() {
			byClass := map[string]uint64{}
			for class, n := range r.byClass {
				if n > 0 {
					byClass[statusClasses[class]] = n
				}
			}
			routes[r.route] = map[string]any{"requests": byClass, "seconds": r.seconds}
		}
		vars["http"] = map[string]any{"in_flight": m.inFlight.Load(), "routes": routes}
		runtime := map[string]float64{}
		for i, v := range readRuntime() {
			if !math.IsNaN(v) { // JSON has no NaN
				runtime[runtimeMetrics[i].name] = v
			}
		}
		vars["runtime"] = runtime
		vars["build"] = m.build
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(vars)
	})
}
