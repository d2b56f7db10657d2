package metrics

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// userHZ is the unit of the CPU times and start time in /proc/<pid>/stat: USER_HZ, 100 on
// every Linux architecture Go supports (client_golang's process collector assumes it too).
const userHZ = 100

// errProcFormat is returned when a /proc file does not read as proc(5) describes it.
var errProcFormat = errors.New("unexpected /proc format")

// process is what the process_* families report, read from /proc.
type process struct {
	cpuSeconds      float64
	residentBytes   float64
	virtualBytes    float64
	virtualMaxBytes float64 // -1: unlimited
	startSeconds    float64 // since the Unix epoch
	openFDs         float64
	maxFDs          float64
}

// readProcess reads this process's figures from proc, the /proc file system (os.DirFS("/proc")
// in production). On a system without /proc/self it returns an error wrapping fs.ErrNotExist.
func readProcess(proc fs.FS, pageSize int) (process, error) {
	var p process
	stat, err := fs.ReadFile(proc, "self/stat")
	if err != nil {
		return p, err
	}
	// The command name, in parentheses, may itself hold spaces and parentheses.
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return p, fmt.Errorf("%w: self/stat %q", errProcFormat, stat)
	}
	fields := strings.Fields(string(stat[end+1:])) // fields[0] is proc(5)'s field 3, state
	if len(fields) < 22 {
		return p, fmt.Errorf("%w: self/stat has %d fields after the name", errProcFormat, len(fields))
	}
	var n [5]float64
	for i, field := range []int{14, 15, 22, 23, 24} { // utime, stime, starttime, vsize, rss
		v, err := strconv.ParseUint(fields[field-3], 10, 64)
		if err != nil {
			return p, fmt.Errorf("%w: self/stat field %d %q", errProcFormat, field, fields[field-3])
		}
		n[i] = float64(v)
	}
	p.cpuSeconds = (n[0] + n[1]) / userHZ
	p.virtualBytes = n[3]
	p.residentBytes = n[4] * float64(pageSize)

	bootTime, err := readBootTime(proc)
	if err != nil {
		return p, err
	}
	p.startSeconds = bootTime + n[2]/userHZ

	fds, err := fs.ReadDir(proc, "self/fd")
	if err != nil {
		return p, err
	}
	p.openFDs = float64(len(fds))

	limits, err := fs.ReadFile(proc, "self/limits")
	if err != nil {
		return p, err
	}
	if p.maxFDs, err = softLimit(limits, "Max open files"); err != nil {
		return p, err
	}
	if p.virtualMaxBytes, err = softLimit(limits, "Max address space"); err != nil {
		return p, err
	}
	return p, nil
}

// readBootTime returns the boot time, in seconds since the Unix epoch, from /proc/stat's btime.
func readBootTime(proc fs.FS) (float64, error) {
	stat, err := fs.ReadFile(proc, "stat")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(stat)) {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%w: stat btime %q", errProcFormat, v)
			}
			return float64(n), nil
		}
	}
	return 0, fmt.Errorf("%w: stat has no btime", errProcFormat)
}

// softLimit returns the soft limit named name in a /proc/<pid>/limits file; -1 for unlimited.
func softLimit(limits []byte, name string) (float64, error) {
	for line := range strings.Lines(string(limits)) {
		rest, ok := strings.CutPrefix(line, name+" ")
		if !ok {
			continue
		}
		fields := strings.Fields(rest) // soft, hard, units
		if len(fields) == 0 {
			break
		}
		if fields[0] == "unlimited" {
			return -1, nil
		}
		n, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: limits %q", errProcFormat, line)
		}
		return float64(n), nil
	}
	return 0, fmt.Errorf("%w: limits has no %q", errProcFormat, name)
}

// writeProcess writes the process_* families as client_golang's process collector names them.
func writeProcess(t *text, p process) {
	t.single("process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds.", p.cpuSeconds)
	t.single("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", p.residentBytes)
	t.single("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", p.virtualBytes)
	t.single("process_virtual_memory_max_bytes", "gauge", "Most virtual memory available, in bytes; -1 for no limit.", p.virtualMaxBytes)
	t.single("process_start_time_seconds", "gauge", "Start time of the process, in seconds since the Unix epoch.", p.startSeconds)
	t.single("process_open_fds", "gauge", "Open file descriptors.", p.openFDs)
	t.single("process_max_fds", "gauge", "Most open file descriptors allowed.", p.maxFDs)
}
