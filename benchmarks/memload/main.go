// Command memload holds a live heap of a chosen size while allocating garbage at a steady rate,
// so that a container memory limit and a GOMEMLIMIT can be tried against each other. It is part of
// scaffold's benchmarks (benchmarks/run), not of the generated service.
//
// Usage:
//
//	memload -live-mib 64 [-churn-mib-per-sec 256] [-duration 30s]
//	        [-tmpfs-dir /scratch (-tmpfs-mib 24 | -tmpfs-ramp-step-mib 2)]
//
// It prints one JSON line when the live heap is in place ("ready") and one when the run is over
// ("done"), with the share of CPU the garbage collector used and the peak memory seen. If the
// container's memory limit is too small, the kernel kills it first and there is no "done" line.
//
// Files written to a tmpfs are memory the container's cgroup pays for and the Go runtime never
// sees, like a cgo library's buffers: -tmpfs-mib writes a burst of them once, -tmpfs-ramp-step-mib
// adds a step at a time, each held through two garbage collections (so through the heap's peak),
// printing a "tmpfs" line after each, until the run ends or the kernel kills the program.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// node is the unit of both the live heap and the garbage: 256 bytes with a pointer, so the
// collector has real marking to do and every page of it is written.
type node struct {
	next *node
	_    [248]byte
}

const nodeSize = 256

var sink *node // keeps the newest garbage reachable for a moment, so it is not optimised away

func main() {
	liveMiB := flag.Int("live-mib", 32, "MiB of live heap to hold for the whole run")
	churn := flag.Int("churn-mib-per-sec", 256, "MiB of garbage to allocate each second")
	duration := flag.Duration("duration", 30*time.Second, "how long to run once the live heap is in place")
	tmpfsDir := flag.String("tmpfs-dir", "", "a folder on a tmpfs to write -tmpfs-mib MiB of files into")
	tmpfsMiB := flag.Int("tmpfs-mib", 0, "MiB to write under -tmpfs-dir (memory the Go runtime does not see)")
	rampStep := flag.Int("tmpfs-ramp-step-mib", 0, "MiB to add under -tmpfs-dir at a time, until the run ends")
	burstAfter := flag.Duration("burst-after", 2*time.Second, "when to start writing under -tmpfs-dir")
	flag.Parse()

	live := buildLive(*liveMiB)
	report("ready", map[string]any{"live_mib": *liveMiB})
	before := readMetrics()
	start := time.Now()

	burst := time.After(*burstAfter)
	deadline := time.After(*duration)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	perTick := *churn * (1 << 20) / 100 / nodeSize
	bursted := false
	for running := true; running; {
		select {
		case <-tick.C:
			allocate(perTick)
		case <-burst:
			if *tmpfsDir != "" && *tmpfsMiB > 0 {
				if err := writeFiles(*tmpfsDir, 0, *tmpfsMiB); err != nil {
					fail(err)
				}
			}
			if *tmpfsDir != "" && *rampStep > 0 {
				go ramp(*tmpfsDir, *rampStep)
			}
			bursted = true
		case <-deadline:
			running = false
		}
	}
	elapsed := time.Since(start).Seconds()
	after := readMetrics()
	runtime.KeepAlive(live)

	delta := func(name string) float64 { return after[name] - before[name] }
	// Marking done by otherwise idle Ps costs the program nothing it would have used: leave it out of
	// both sides, so the share is of the CPU the program needed (idle marking is reported apart).
	idleMark := delta("/cpu/classes/gc/mark/idle:cpu-seconds")
	gc := delta("/cpu/classes/gc/total:cpu-seconds") - idleMark
	used := delta("/cpu/classes/total:cpu-seconds") - delta("/cpu/classes/idle:cpu-seconds") - idleMark
	share := 0.0
	if used > 0 {
		share = gc / used
	}
	report("done", map[string]any{
		"live_mib":            *liveMiB,
		"seconds":             elapsed,
		"bursted":             bursted,
		"gc_cpu_share":        share,
		"gc_idle_mark_cpu_s":  idleMark,
		"cpu_used_s":          used,
		"gc_cycles":           after["/gc/cycles/total:gc-cycles"] - before["/gc/cycles/total:gc-cycles"],
		"churn_mib_per_sec":   (after["/gc/heap/allocs:bytes"] - before["/gc/heap/allocs:bytes"]) / elapsed / (1 << 20),
		"gomemlimit":          debug.SetMemoryLimit(-1),
		"gomaxprocs":          runtime.GOMAXPROCS(0),
		"peak_rss_mib":        procStatusMiB("VmHWM"),
		"cgroup_peak_mib":     cgroupPeakMiB(),
		"go_total_mib":        after["/memory/classes/total:bytes"] / (1 << 20),
		"go_heap_objects_mib": after["/memory/classes/heap/objects:bytes"] / (1 << 20),
	})
}

// buildLive allocates mib MiB of linked nodes and returns their heads.
func buildLive(mib int) []*node {
	count := mib * (1 << 20) / nodeSize
	const perList = 4096
	heads := make([]*node, 0, count/perList+1)
	for count > 0 {
		var head *node
		for i := 0; i < perList && count > 0; i++ {
			head = &node{next: head}
			count--
		}
		heads = append(heads, head)
	}
	return heads
}

// allocate makes n nodes of garbage, in short lists, as a request handler would.
func allocate(n int) {
	for n > 0 {
		var head *node
		for i := 0; i < 512 && n > 0; i++ {
			head = &node{next: head}
			n--
		}
		sink = head
	}
}

// ramp writes step MiB at a time under dir, each step held through two garbage collections, and
// reports the total after each: the last total reported is what the program survived.
func ramp(dir string, step int) {
	for total := 0; ; total += step {
		if err := writeFiles(dir, total, step); err != nil {
			fail(err)
		}
		cycles := readMetrics()["/gc/cycles/total:gc-cycles"]
		for wait := time.Now(); time.Since(wait) < 5*time.Second; time.Sleep(5 * time.Millisecond) {
			if readMetrics()["/gc/cycles/total:gc-cycles"] >= cycles+2 {
				break
			}
		}
		report("tmpfs", map[string]any{"mib": total + step})
	}
}

// writeFiles writes mib more MiB into files under dir, one MiB each numbered from first, and
// leaves them there.
func writeFiles(dir string, first, mib int) error {
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = byte(i)
	}
	for i := first; i < first+mib; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("burst-%05d", i)), chunk, 0o600); err != nil {
			return fmt.Errorf("write tmpfs file: %w", err)
		}
	}
	return nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "memload:", err)
	os.Exit(2)
}

func readMetrics() map[string]float64 {
	names := []string{
		"/cpu/classes/total:cpu-seconds", "/cpu/classes/idle:cpu-seconds", "/cpu/classes/gc/total:cpu-seconds",
		"/cpu/classes/gc/mark/idle:cpu-seconds",
		"/gc/cycles/total:gc-cycles", "/gc/heap/allocs:bytes", "/memory/classes/total:bytes",
		"/memory/classes/heap/objects:bytes",
	}
	samples := make([]metrics.Sample, len(names))
	for i, name := range names {
		samples[i].Name = name
	}
	metrics.Read(samples)
	values := make(map[string]float64, len(names))
	for _, s := range samples {
		switch s.Value.Kind() {
		case metrics.KindFloat64:
			values[s.Name] = s.Value.Float64()
		case metrics.KindUint64:
			values[s.Name] = float64(s.Value.Uint64())
		default:
		}
	}
	return values
}

// procStatusMiB reads a "kB" field of /proc/self/status, in MiB.
func procStatusMiB(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		name, value, ok := strings.Cut(scanner.Text(), ":")
		if ok && name == field {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 64)
			if err == nil {
				return kb / 1024
			}
		}
	}
	return -1
}

// cgroupPeakMiB reads the container's peak memory use, cgroup v2 or v1, in MiB (-1 if unknown).
func cgroupPeakMiB() float64 {
	for _, path := range []string{"/sys/fs/cgroup/memory.peak", "/sys/fs/cgroup/memory/memory.max_usage_in_bytes"} {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(string(data)), 64); err == nil {
			return v / (1 << 20)
		}
	}
	return -1
}

func report(event string, fields map[string]any) {
	fields["event"] = event
	line, _ := json.Marshal(fields)
	fmt.Println(string(line))
}
