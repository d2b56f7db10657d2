// Package memlimit sets the Go runtime's soft memory limit (GOMEMLIMIT) from the container's
// cgroup memory limit, so the garbage collector works harder before the kernel kills the process.
//
// scaffold writes GOMEMLIMIT into the service's manifests with the same rule as Derive; this
// package covers a service started without it, or with a value its container cannot hold.
package memlimit

import (
	"fmt"
	"io/fs"
	"log/slog"
	"math"
)

// Sources of the effective memory limit, as Result.Source reports them.
const (
	// SourceCgroup: GOMEMLIMIT was unset, so the limit was derived from the cgroup's.
	SourceCgroup = "cgroup"
	// SourceCapped: GOMEMLIMIT was above the limit derived from the cgroup's, which replaced it.
	SourceCapped = "cgroup (GOMEMLIMIT above the container limit)"
	// SourceEnv: the runtime's limit is GOMEMLIMIT's.
	SourceEnv = "env"
	// SourceNone: there is neither GOMEMLIMIT nor a cgroup limit, so the runtime has no limit.
	SourceNone = "none"
)

const (
	mib = 1 << 20
	// headroomFloor is the least the limit leaves outside the Go heap for goroutine stacks, the
	// runtime's own structures and files the cgroup is charged for, unless that is over half.
	headroomFloor = 32 * mib
)

// Derive returns the memory limit for a container limited to limit bytes:
//
//	min(90% of limit, max(limit - 32 MiB, limit / 2)), rounded down to a whole MiB
//
// It is the rule of scaffold's derive_gomemlimit, and the two must agree. It returns 0 for a
// limit of 0 or less.
func Derive(limit int64) int64 {
	if limit <= 0 {
		return 0
	}
	ninetyPercent := limit/10*9 + limit%10*9/10 // 9*limit/10 without overflowing
	return min(ninetyPercent, max(limit-headroomFloor, limit/2)) / mib * mib
}

// Format renders bytes in the largest unit Go's GOMEMLIMIT accepts that divides it exactly:
// TiB, GiB, MiB, KiB, else B, such as 460MiB. It is the format of scaffold's format_go_bytes.
// The runtime's "no limit", math.MaxInt64, is "none".
func Format(bytes int64) string {
	if bytes == math.MaxInt64 {
		return "none"
	}
	for _, u := range []struct {
		name string
		size int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if bytes >= u.size && bytes%u.size == 0 {
			return fmt.Sprintf("%d%s", bytes/u.size, u.name)
		}
	}
	return fmt.Sprintf("%dB", bytes)
}

// Result is what Apply found and did.
type Result struct {
	// Limit is the runtime's memory limit after Apply, in bytes; math.MaxInt64 means none.
	Limit int64
	// Source is one of the Source constants.
	Source string
	// CgroupLimit is the cgroup's memory limit in bytes, 0 when there is none.
	CgroupLimit int64
}

// Apply sets the runtime's memory limit from the cgroup limit found in root (the file system
// root, os.DirFS("/") in production) unless GOMEMLIMIT, read through getenv, already sets one that
// the container can hold. setLimit is debug.SetMemoryLimit. It never fails: at worst it changes
// nothing. It logs a warning when it cannot read the cgroup, when it lowers GOMEMLIMIT's value,
// and when GOMEMLIMIT is far below what the container's limit allows (a memory limit raised
// without GOMEMLIMIT following it), which it keeps, since a lower value may be deliberate.
func Apply(logger *slog.Logger, getenv func(string) string, root fs.FS, setLimit func(int64) int64) Result {
	cgroup, err := CgroupLimit(root)
	if err != nil {
		logger.Warn("cannot read the cgroup memory limit", "error", err)
		cgroup = 0
	}
	derived := Derive(cgroup) // 0 when there is no cgroup limit
	current := setLimit(-1)   // the runtime has already parsed GOMEMLIMIT; -1 only reads it
	env := getenv("GOMEMLIMIT")
	res := Result{Limit: current, Source: SourceEnv, CgroupLimit: cgroup}
	switch {
	case derived == 0 && env == "":
		res.Source = SourceNone
	case derived == 0:
		// GOMEMLIMIT with nothing to compare it to: keep it.
	case env == "":
		setLimit(derived)
		res.Limit, res.Source = derived, SourceCgroup
	case env == "off":
		// a deliberate choice of no limit
	case current < derived/4*3:
		logger.Warn("GOMEMLIMIT is far below what the container memory limit allows; keeping it",
			"gomemlimit_env", env, "gomemlimit", current, "derived", derived,
			"derived_human", Format(derived), "cgroup_limit", cgroup,
			"fix", "unset GOMEMLIMIT to derive it from the container limit, or set it to "+Format(derived))
	case current <= derived:
		// a little lower leaves more headroom for memory outside the Go heap: keep it
	default:
		logger.Warn("GOMEMLIMIT is above what the container memory limit allows; lowering it",
			"gomemlimit_env", env, "requested", current,
			"gomemlimit", derived, "gomemlimit_human", Format(derived), "cgroup_limit", cgroup)
		setLimit(derived)
		res.Limit, res.Source = derived, SourceCapped
	}
	return res
}
