package memlimit

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// ErrMalformed is wrapped by CgroupLimit's error when a cgroup file holds something unexpected.
var ErrMalformed = errors.New("malformed cgroup file")

const (
	v1Mount = "sys/fs/cgroup/memory"
	v2Mount = "sys/fs/cgroup"
	// v1Unlimited: cgroup v1 reports "no limit" as the largest int64 rounded down to a page.
	v1Unlimited = 1 << 62
)

// CgroupLimit returns the memory limit in bytes of this process's cgroup, or 0 when it has none,
// reading proc/self/cgroup and sys/fs/cgroup/... in root, the file system root.
//
// It prefers cgroup v1's memory controller when /proc/self/cgroup lists it, as on hosts that mount
// both versions, and reads cgroup v2's otherwise. When the process's cgroup is not where
// /proc/self/cgroup says under the mount, it reads the mount's root instead: in a container that
// mount is the container's own cgroup, whatever path the host knows it by.
func CgroupLimit(root fs.FS) (int64, error) {
	data, err := fs.ReadFile(root, "proc/self/cgroup")
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil // not Linux
	}
	if err != nil {
		return 0, err
	}
	var v2Path string
	var isV2 bool
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		fields := strings.SplitN(line, ":", 3) // hierarchy-ID:controller-list:cgroup-path
		if len(fields) != 3 {
			return 0, fmt.Errorf("%w: /proc/self/cgroup line %q", ErrMalformed, line)
		}
		id, controllers, cgroupPath := fields[0], fields[1], fields[2]
		switch {
		case slices.Contains(strings.Split(controllers, ","), "memory"):
			return v1Limit(root, cgroupPath)
		case id == "0" && controllers == "":
			v2Path, isV2 = cgroupPath, true
		}
	}
	if !isV2 {
		return 0, nil
	}
	return v2Limit(root, v2Path)
}

// v1Limit reads memory.limit_in_bytes, and memory.stat's hierarchical_memory_limit, which is lower
// when an ancestor cgroup has the tighter limit.
func v1Limit(root fs.FS, cgroupPath string) (int64, error) {
	dir, err := cgroupDir(root, v1Mount, cgroupPath, "memory.limit_in_bytes")
	if err != nil || dir == "" {
		return 0, err
	}
	name := path.Join(dir, "memory.limit_in_bytes")
	data, err := fs.ReadFile(root, name)
	if err != nil {
		return 0, err
	}
	limit, err := parseV1(name, string(bytes.TrimSpace(data)))
	if err != nil {
		return 0, err
	}
	name = path.Join(dir, "memory.stat")
	stat, err := fs.ReadFile(root, name)
	if errors.Is(err, fs.ErrNotExist) {
		return limit, nil
	}
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(stat)) {
		if value, ok := strings.CutPrefix(line, "hierarchical_memory_limit "); ok {
			hierarchical, err := parseV1(name, strings.TrimSpace(value))
			if err != nil {
				return 0, err
			}
			return lower(limit, hierarchical), nil
		}
	}
	return limit, nil
}

func parseV1(name, value string) (int64, error) {
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: /%s: %q", ErrMalformed, name, value)
	}
	if n <= 0 || n >= v1Unlimited {
		return 0, nil
	}
	return n, nil
}

// v2Limit reads memory.max in the cgroup and each of its ancestors up to the mount, since any of
// them may hold the tightest limit.
func v2Limit(root fs.FS, cgroupPath string) (int64, error) {
	dir, err := cgroupDir(root, v2Mount, cgroupPath, "memory.max")
	if err != nil || dir == "" {
		return 0, err
	}
	var limit int64
	for ; ; dir = path.Dir(dir) {
		n, err := readV2(root, path.Join(dir, "memory.max"))
		if err != nil {
			return 0, err
		}
		limit = lower(limit, n)
		if dir == v2Mount {
			return limit, nil
		}
	}
}

// readV2 reads a memory.max file: 0 when it is absent or says "max".
func readV2(root fs.FS, name string) (int64, error) {
	data, err := fs.ReadFile(root, name)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	value := string(bytes.TrimSpace(data))
	if value == "max" {
		return 0, nil
	}
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%w: /%s: %q", ErrMalformed, name, value)
	}
	return n, nil
}

// cgroupDir returns the directory, under mount in root, of the cgroup at cgroupPath if it holds
// file, else mount itself if that holds file, else "".
func cgroupDir(root fs.FS, mount, cgroupPath, file string) (string, error) {
	candidates := []string{mount}
	// Under a cgroup namespace a cgroup outside it shows as a path with "..": not below mount.
	if rel := strings.TrimPrefix(cgroupPath, "/"); rel != "" && fs.ValidPath(rel) {
		candidates = []string{path.Join(mount, rel), mount}
	}
	for _, dir := range candidates {
		_, err := fs.Stat(root, path.Join(dir, file))
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	return "", nil
}

// lower returns the lower of two limits, where 0 means no limit.
func lower(a, b int64) int64 {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}
