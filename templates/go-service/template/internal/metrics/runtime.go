package metrics

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// memstats are the go_memstats_* gauges and counters of client_golang's Go collector, read from
// runtime.MemStats (https://pkg.go.dev/runtime#MemStats says what each field counts).
var memstats = []struct {
	name, kind, help string
	value            func(*runtime.MemStats) float64
}{
	{"go_memstats_alloc_bytes", "gauge", "Bytes of allocated heap objects.",
		func(m *runtime.MemStats) float64 { return float64(m.Alloc) }},
	{"go_memstats_alloc_bytes_total", "counter", "Bytes allocated for heap objects, even if freed.",
		func(m *runtime.MemStats) float64 { return float64(m.TotalAlloc) }},
	{"go_memstats_sys_bytes", "gauge", "Bytes of memory obtained from the OS.",
		func(m *runtime.MemStats) float64 { return float64(m.Sys) }},
	{"go_memstats_mallocs_total", "counter", "Heap objects allocated.",
		func(m *runtime.MemStats) float64 { return float64(m.Mallocs) }},
	{"go_memstats_frees_total", "counter", "Heap objects freed.",
		func(m *runtime.MemStats) float64 { return float64(m.Frees) }},
	{"go_memstats_heap_alloc_bytes", "gauge", "Bytes of allocated heap objects.",
		func(m *runtime.MemStats) float64 { return float64(m.HeapAlloc) }},
	{"go_memstats_heap_sys_bytes", "gauge", "Bytes of heap memory obtained from the OS.",
		func(m *runtime.MemStats) float64 { return float64(m.HeapSys) }},
	{"go_memstats_heap_idle_bytes", "gauge", "Bytes in idle (unused) heap spans.",
		func(m *runtime.MemStats) float64 { return float64(m.HeapIdle) }},
	{"go_memstats_heap_inuse_bytes", "gauge", "Bytes in in-use heap spans.",
		func(m *runtime.MemStats) float64 { return float64(m.HeapInuse) }},
	{"go_memstats_heap_released_bytes", "gauge", "Bytes of heap memory returned to the OS.",
		func(m *runtime.MemStats) float64 { return float64(m.HeapReleased) }},
	{"go_memstats_heap_objects", "gauge", "Allocated heap objects.",
		func(m *runtime.MemStats) float64 { return float64(m.HeapObjects) }},
	{"go_memstats_stack_inuse_bytes", "gauge", "Bytes in stack spans.",
		func(m *runtime.MemStats) float64 { return float64(m.StackInuse) }},
	{"go_memstats_stack_sys_bytes", "gauge", "Bytes of stack memory obtained from the OS.",
		func(m *runtime.MemStats) float64 { return float64(m.StackSys) }},
	{"go_memstats_mspan_inuse_bytes", "gauge", "Bytes of allocated mspan structures.",
		func(m *runtime.MemStats) float64 { return float64(m.MSpanInuse) }},
	{"go_memstats_mspan_sys_bytes", "gauge", "Bytes of memory obtained from the OS for mspan structures.",
		func(m *runtime.MemStats) float64 { return float64(m.MSpanSys) }},
	{"go_memstats_mcache_inuse_bytes", "gauge", "Bytes of allocated mcache structures.",
		func(m *runtime.MemStats) float64 { return float64(m.MCacheInuse) }},
	{"go_memstats_mcache_sys_bytes", "gauge", "Bytes of memory obtained from the OS for mcache structures.",
		func(m *runtime.MemStats) float64 { return float64(m.MCacheSys) }},
	{"go_memstats_buck_hash_sys_bytes", "gauge", "Bytes of memory in profiling bucket hash tables.",
		func(m *runtime.MemStats) float64 { return float64(m.BuckHashSys) }},
	{"go_memstats_gc_sys_bytes", "gauge", "Bytes of memory in garbage collection metadata.",
		func(m *runtime.MemStats) float64 { return float64(m.GCSys) }},
	{"go_memstats_other_sys_bytes", "gauge", "Bytes of memory in miscellaneous off-heap runtime allocations.",
		func(m *runtime.MemStats) float64 { return float64(m.OtherSys) }},
	{"go_memstats_next_gc_bytes", "gauge", "Heap size target of the next GC cycle.",
		func(m *runtime.MemStats) float64 { return float64(m.NextGC) }},
	{"go_memstats_last_gc_time_seconds", "gauge", "Time the last garbage collection finished, in seconds since the Unix epoch.",
		func(m *runtime.MemStats) float64 { return float64(m.LastGC) / 1e9 }},
}

// settings are runtime/metrics samples that client_golang's Go collector also exposes.
var settings = []struct{ sample, name, help string }{
	{"/gc/gogc:percent", "go_gc_gogc_percent", "Heap size target percentage (GOGC)."},
	{"/gc/gomemlimit:bytes", "go_gc_gomemlimit_bytes", "The Go runtime's soft memory limit (GOMEMLIMIT or the one derived from the cgroup)."},
	{"/sched/gomaxprocs:threads", "go_sched_gomaxprocs_threads", "GOMAXPROCS: the threads that can run Go code at once."},
}

// writeRuntime writes the go_* families, named as client_golang's Go collector names them so
// that dashboards built for Go services find them.
func writeRuntime(t *text) {
	t.family("go_gc_duration_seconds", "summary", "Wall-clock time of the stop-the-world pauses of garbage collection cycles.")
	stats := debug.GCStats{PauseQuantiles: make([]time.Duration, 5)}
	debug.ReadGCStats(&stats)
	for i, q := range []string{"0", "0.25", "0.5", "0.75", "1"} {
		t.sample("go_gc_duration_seconds", stats.PauseQuantiles[i].Seconds(), "quantile", q)
	}
	t.sample("go_gc_duration_seconds_sum", stats.PauseTotal.Seconds())
	t.sample("go_gc_duration_seconds_count", float64(stats.NumGC))

	t.single("go_goroutines", "gauge", "Goroutines that currently exist.", float64(runtime.NumGoroutine()))
	threads, _ := runtime.ThreadCreateProfile(nil)
	t.single("go_threads", "gauge", "OS threads created.", float64(threads))
	t.family("go_info", "gauge", "Always 1; the label is the Go release that built the binary.")
	t.sample("go_info", 1, "version", runtime.Version())

	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	for _, s := range memstats {
		t.single(s.name, s.kind, s.help, s.value(&m))
	}

	samples := make([]metrics.Sample, len(settings))
	for i, s := range settings {
		samples[i].Name = s.sample
	}
	metrics.Read(samples)
	for i, s := range settings {
		if samples[i].Value.Kind() == metrics.KindUint64 { // KindBad: not in this Go release
			t.single(s.name, "gauge", s.help, float64(samples[i].Value.Uint64()))
		}
	}
}
