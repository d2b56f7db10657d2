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

// ErrMalformed is wrapped by CgroupLimit's error when a cgroup or mountinfo file holds something
// unexpected.
var ErrMalformed = errors.New("malformed cgroup file")

// v1Unlimited: cgroup v1 reports "no limit" as the largest int64 rounded down to a page.
const v1Unlimited = 1 << 62

// CgroupLimit returns the memory limit in bytes of this process's cgroup, or 0 when it has none,
// reading proc/self/cgroup, proc/self/mountinfo and the cgroup files they lead to in root, the
// file system root.
//
// /proc/self/cgroup names the process's cgroup, /proc/self/mountinfo where its hierarchy is
// mounted, whatever the mount point, whatever controllers share the mount (cgroup v1's
// "cpu,memory"), and which part of the hierarchy the mount shows. cgroup v1's memory controller
// is preferred when /proc/self/cgroup lists it, as on hosts that mount both versions; cgroup v2
// is read otherwise. When the process's cgroup is not below the mount (it is outside the
// process's cgroup namespace, or the mount shows only a container's part), the mount's own
// directory is read: in a container that is the container's cgroup.
func CgroupLimit(root fs.FS) (int64, error) {
	data, err := fs.ReadFile(root, "proc/self/cgroup")
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil // not Linux
	}
	if err != nil {
		return 0, err
	}
	var v1Path, v2Path string
	var isV1, isV2 bool
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
			v1Path, isV1 = cgroupPath, true
		case id == "0" && controllers == "":
			v2Path, isV2 = cgroupPath, true
		}
	}
	if !isV1 && !isV2 {
		return 0, nil
	}
	data, err = fs.ReadFile(root, "proc/self/mountinfo")
	if err != nil {
		return 0, err
	}
	mounts, err := parseMountinfo(data)
	if err != nil {
		return 0, err
	}
	if isV1 {
		m, ok := mountFor(mounts, v1Path, func(m mount) bool {
			return m.fsType == "cgroup" && slices.Contains(m.superOptions, "memory")
		})
		if !ok {
			return 0, nil // the memory hierarchy is not mounted where this process can see it
		}
		return v1Limit(root, m, v1Path)
	}
	m, ok := mountFor(mounts, v2Path, func(m mount) bool { return m.fsType == "cgroup2" })
	if !ok {
		return 0, nil
	}
	return v2Limit(root, m, v2Path)
}

// mount is a line of /proc/self/mountinfo (proc(5)): which directory of a file system (root) is
// mounted where (point, relative to the file system root, as fs.FS names it).
type mount struct {
	root, point  string
	fsType       string
	superOptions []string
}

// parseMountinfo reads /proc/self/mountinfo's lines:
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//
// that is ID, parent ID, device, root, mount point, mount options, optional fields ending at
// "-", then the file system type, its source and its super block options.
func parseMountinfo(data []byte) ([]mount, error) {
	var mounts []mount
	for line := range strings.Lines(string(data)) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		sep := slices.Index(fields, "-")
		if sep < 6 || len(fields) < sep+4 {
			return nil, fmt.Errorf("%w: /proc/self/mountinfo line %q", ErrMalformed, strings.TrimSpace(line))
		}
		point := strings.TrimPrefix(path.Clean(unescapeOctal(fields[4])), "/")
		if point == "" {
			point = "."
		}
		mounts = append(mounts, mount{
			root:         unescapeOctal(fields[3]),
			point:        point,
			fsType:       fields[sep+1],
			superOptions: strings.Split(fields[sep+3], ","),
		})
	}
	return mounts, nil
}

// unescapeOctal undoes mountinfo's escapes of a space, tab, newline or backslash in a path
// (\040, \011, \012, \134).
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// mountFor returns, of the mounts that match, the one showing the most specific part of the
// hierarchy that holds cgroupPath; else the first that matches.
func mountFor(mounts []mount, cgroupPath string, match func(mount) bool) (mount, bool) {
	var best mount
	found, below := false, false
	for _, m := range mounts {
		if !match(m) {
			continue
		}
		_, under := relativeTo(m.root, cgroupPath)
		if !found || (under && (!below || len(m.root) > len(best.root))) {
			best, found, below = m, true, under
		}
	}
	return best, found
}

// relativeTo returns cgroupPath relative to root, a directory of the same hierarchy, and
// whether it is below root at all.
func relativeTo(root, cgroupPath string) (string, bool) {
	if root == "/" {
		return strings.TrimPrefix(cgroupPath, "/"), true
	}
	if cgroupPath == root {
		return "", true
	}
	rest, ok := strings.CutPrefix(cgroupPath, root+"/")
	return rest, ok
}

// cgroupDir returns the directory in root of the cgroup at cgroupPath, under m, if it holds
// file; else m's mount point if that holds file; else "".
func cgroupDir(root fs.FS, m mount, cgroupPath, file string) (string, error) {
	candidates := []string{m.point}
	// Under a cgroup namespace a cgroup outside it shows as a path with "..": not below m.
	if rel, ok := relativeTo(m.root, cgroupPath); ok && rel != "" && fs.ValidPath(rel) {
		candidates = []string{path.Join(m.point, rel), m.point}
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

// v1Limit reads memory.limit_in_bytes, and memory.stat's hierarchical_memory_limit, which is lower
// when an ancestor cgroup has the tighter limit.
func v1Limit(root fs.FS, m mount, cgroupPath string) (int64, error) {
	dir, err := cgroupDir(root, m, cgroupPath, "memory.limit_in_bytes")
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

// v2Limit reads memory.max in the cgroup and each of its ancestors up to the mount point, since
// any of them may hold the tightest limit.
func v2Limit(root fs.FS, m mount, cgroupPath string) (int64, error) {
	dir, err := cgroupDir(root, m, cgroupPath, "memory.max")
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
		if dir == m.point || dir == "." {
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

// lower returns the lower of two limits, where 0 means no limit.
func lower(a, b int64) int64 {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}
